"""Product vocabulary and local price formats of the sample web (written for this project)."""

from __future__ import annotations

from ecomstat.sampleweb.vocab import LANGS

# category -> (price range in EUR, item names: one `|`-joined string per item, LANGS order)
_CATEGORIES: dict[str, tuple[tuple[float, float], tuple[str, ...]]] = {
    "clothing": ((9.0, 120.0), (
        "T-Shirt|T-shirt|Camiseta|Camiseta|Maglietta|T-shirt|Koszulka|Kaos|T-shirt",
        "Jeans|Jean|Vaqueros|Calça jeans|Jeans|Spijkerbroek|Dżinsy|Celana jeans|Jeans",
        "Winterjacke|Veste d'hiver|Chaqueta de invierno|Casaco de inverno|Giacca invernale|"
        "Winterjas|Kurtka zimowa|Jaket musim dingin|Winter jacket",
        "Sommerkleid|Robe d'été|Vestido de verano|Vestido de verão|Abito estivo|Zomerjurk|"
        "Sukienka letnia|Gaun musim panas|Summer dress",
        "Strickpullover|Pull en maille|Jersey de punto|Camisola de malha|Maglione|Trui|Sweter|"
        "Sweter rajut|Knitted jumper",
        "Hemd|Chemise|Camisa|Camisa|Camicia|Overhemd|Koszula|Kemeja|Shirt",
    )),
    "shoes": ((25.0, 180.0), (
        "Laufschuhe|Chaussures de course|Zapatillas de running|Tênis de corrida|Scarpe da corsa|"
        "Hardloopschoenen|Buty do biegania|Sepatu lari|Running shoes",
        "Lederstiefel|Bottes en cuir|Botas de piel|Botas de couro|Stivali in pelle|Leren laarzen|"
        "Skórzane kozaki|Sepatu bot kulit|Leather boots",
        "Sandalen|Sandales|Sandalias|Sandálias|Sandali|Sandalen|Sandały|Sandal|Sandals",
        "Sneaker|Baskets|Zapatillas|Tênis|Sneakers|Sneakers|Trampki|Sepatu kets|Trainers",
        "Hausschuhe|Chaussons|Zapatillas de casa|Chinelos|Pantofole|Pantoffels|Kapcie|"
        "Sandal rumah|Slippers",
    )),
    "electronics": ((19.0, 900.0), (
        "Waschmaschine|Lave-linge|Lavadora|Máquina de lavar|Lavatrice|Wasmachine|Pralka|"
        "Mesin cuci|Washing machine",
        "Kühlschrank|Réfrigérateur|Frigorífico|Frigorífico|Frigorifero|Koelkast|Lodówka|"
        "Kulkas|Fridge freezer",
        "Staubsauger|Aspirateur|Aspiradora|Aspirador|Aspirapolvere|Stofzuiger|Odkurzacz|"
        "Penyedot debu|Vacuum cleaner",
        "Kaffeemaschine|Machine à café|Cafetera|Máquina de café|Macchina da caffè|"
        "Koffiezetapparaat|Ekspres do kawy|Mesin kopi|Coffee machine",
        "Wasserkocher|Bouilloire|Hervidor|Chaleira elétrica|Bollitore|Waterkoker|Czajnik|"
        "Ketel listrik|Kettle",
        "Kopfhörer|Casque audio|Auriculares|Fones de ouvido|Cuffie|Koptelefoon|Słuchawki|"
        "Headphone|Headphones",
    )),
    "books": ((6.0, 45.0), (
        "Kochbuch|Livre de cuisine|Libro de cocina|Livro de receitas|Libro di cucina|Kookboek|"
        "Książka kucharska|Buku resep|Cookbook",
        "Kriminalroman|Roman policier|Novela negra|Romance policial|Romanzo giallo|Detectiveroman|"
        "Kryminał|Novel detektif|Crime novel",
        "Kinderbuch|Livre pour enfants|Libro infantil|Livro infantil|Libro per bambini|"
        "Kinderboek|Książka dla dzieci|Buku anak|Children's book",
        "Reiseführer|Guide de voyage|Guía de viaje|Guia de viagem|Guida turistica|Reisgids|"
        "Przewodnik|Buku panduan wisata|Travel guide",
        "Wörterbuch|Dictionnaire|Diccionario|Dicionário|Dizionario|Woordenboek|Słownik|Kamus|"
        "Dictionary",
    )),
    "cosmetics": ((4.0, 60.0), (
        "Gesichtscreme|Crème visage|Crema facial|Creme facial|Crema viso|Gezichtscrème|"
        "Krem do twarzy|Krim wajah|Face cream",
        "Shampoo|Shampooing|Champú|Champô|Shampoo|Shampoo|Szampon|Sampo|Shampoo",
        "Lippenstift|Rouge à lèvres|Barra de labios|Batom|Rossetto|Lippenstift|Szminka|"
        "Lipstik|Lipstick",
        "Parfüm|Parfum|Perfume|Perfume|Profumo|Parfum|Perfumy|Parfum|Perfume",
        "Sonnencreme|Crème solaire|Protector solar|Protetor solar|Crema solare|Zonnebrand|"
        "Krem z filtrem|Tabir surya|Sun cream",
    )),
    "toys": ((5.0, 90.0), (
        "Holzeisenbahn|Train en bois|Tren de madera|Trem de madeira|Trenino di legno|"
        "Houten trein|Drewniana kolejka|Kereta kayu|Wooden train set",
        "Puzzle|Puzzle|Puzle|Quebra-cabeça|Puzzle|Puzzel|Puzzle|Puzzle|Jigsaw puzzle",
        "Puppe|Poupée|Muñeca|Boneca|Bambola|Pop|Lalka|Boneka|Doll",
        "Brettspiel|Jeu de société|Juego de mesa|Jogo de tabuleiro|Gioco da tavolo|Bordspel|"
        "Gra planszowa|Permainan papan|Board game",
        "Plüschbär|Ours en peluche|Oso de peluche|Urso de pelúcia|Orsetto di peluche|Knuffelbeer|"
        "Pluszowy miś|Boneka beruang|Teddy bear",
    )),
    "bakery": ((1.5, 35.0), (
        "Roggenbrot|Pain de seigle|Pan de centeno|Pão de centeio|Pane di segale|Roggebrood|"
        "Chleb żytni|Roti gandum hitam|Rye bread",
        "Butterkekse|Biscuits au beurre|Galletas de mantequilla|Biscoitos de manteiga|"
        "Biscotti al burro|Boterkoekjes|Herbatniki maślane|Kue mentega|Butter biscuits",
        "Stollen|Brioche|Roscón|Bolo-rei|Panettone|Kerststol|Babka|Bolu|Christmas cake",
        "Lebkuchen|Pain d'épices|Turrón|Broa de mel|Panforte|Ontbijtkoek|Pierniki|Kue jahe|"
        "Gingerbread",
        "Geschenkkorb|Panier garni|Cesta de regalo|Cabaz de presentes|Cesto regalo|Kerstpakket|"
        "Kosz prezentowy|Parsel hadiah|Gift hamper",
    )),
    "furniture": ((60.0, 1500.0), (
        "Esstisch|Table à manger|Mesa de comedor|Mesa de jantar|Tavolo da pranzo|Eettafel|"
        "Stół do jadalni|Meja makan|Dining table",
        "Bücherregal|Bibliothèque|Estantería|Estante|Libreria|Boekenkast|Regał|Rak buku|"
        "Bookcase",
        "Sofa|Canapé|Sofá|Sofá|Divano|Bank|Sofa|Sofa|Sofa",
        "Bürostuhl|Chaise de bureau|Silla de oficina|Cadeira de escritório|Sedia da ufficio|"
        "Bureaustoel|Krzesło biurowe|Kursi kantor|Office chair",
        "Kleiderschrank|Armoire|Armario|Guarda-roupa|Armadio|Kledingkast|Szafa|Lemari pakaian|"
        "Wardrobe",
    )),
    "industrial": ((2.0, 400.0), (
        "Stahlträger|Poutre en acier|Viga de acero|Viga de aço|Trave in acciaio|Stalen balk|"
        "Belka stalowa|Balok baja|Steel beam",
        "Schweißkonstruktion|Structure soudée|Estructura soldada|Estrutura soldada|"
        "Struttura saldata|Laskonstructie|Konstrukcja spawana|Konstruksi las|Welded frame",
        "Befestigungswinkel|Équerre de fixation|Escuadra de fijación|Cantoneira de fixação|"
        "Staffa di fissaggio|Bevestigingshoek|Kątownik montażowy|Siku pengikat|Mounting bracket",
        "Kunststoffbehälter|Bac en plastique|Contenedor de plástico|Contentor de plástico|"
        "Contenitore in plastica|Kunststof bak|Pojemnik z tworzywa|Wadah plastik|Plastic container",
        "Treppengeländer|Garde-corps d'escalier|Barandilla|Corrimão|Ringhiera|Trapleuning|"
        "Balustrada|Pagar tangga|Stair railing",
    )),
    "dishes": ((6.0, 32.0), (
        "Schnitzel mit Pommes|Steak frites|Paella valenciana|Bacalhau à Brás|Lasagne al forno|"
        "Stamppot|Pierogi ruskie|Nasi goreng|Fish and chips",
        "Tagessuppe|Soupe du jour|Sopa del día|Sopa do dia|Zuppa del giorno|Soep van de dag|"
        "Zupa dnia|Sup hari ini|Soup of the day",
        "Gemischter Salat|Salade composée|Ensalada mixta|Salada mista|Insalata mista|"
        "Gemengde salade|Sałatka mieszana|Gado-gado|Mixed salad",
        "Apfelstrudel|Tarte Tatin|Crema catalana|Pastel de nata|Tiramisù|Appeltaart|Sernik|"
        "Klepon|Apple crumble",
        "Pizza Margherita|Pizza Margherita|Pizza Margarita|Pizza Margherita|Pizza Margherita|"
        "Pizza Margherita|Pizza Margherita|Pizza Margherita|Pizza Margherita",
    )),
    "software": ((9.0, 900.0), (
        "Softwarelizenz|Licence logicielle|Licencia de software|Licença de software|"
        "Licenza software|Softwarelicentie|Licencja oprogramowania|Lisensi perangkat lunak|"
        "Software licence",
        "Wartungsvertrag|Contrat de maintenance|Contrato de mantenimiento|Contrato de manutenção|"
        "Contratto di manutenzione|Onderhoudscontract|Umowa serwisowa|Kontrak pemeliharaan|"
        "Support contract",
        "Online-Schulung|Formation en ligne|Curso online|Formação online|Corso online|"
        "Online training|Szkolenie online|Pelatihan online|Online training course",
        "Cloud-Speicher|Stockage cloud|Almacenamiento en la nube|Armazenamento em nuvem|"
        "Archiviazione cloud|Cloudopslag|Przestrzeń w chmurze|Penyimpanan cloud|Cloud storage plan",
    )),
    "rooms": ((60.0, 320.0), (
        "Einzelzimmer|Chambre simple|Habitación individual|Quarto individual|Camera singola|"
        "Eenpersoonskamer|Pokój jednoosobowy|Kamar single|Single room",
        "Doppelzimmer|Chambre double|Habitación doble|Quarto duplo|Camera doppia|"
        "Tweepersoonskamer|Pokój dwuosobowy|Kamar double|Double room",
        "Familienzimmer|Chambre familiale|Habitación familiar|Quarto familiar|Camera familiare|"
        "Familiekamer|Pokój rodzinny|Kamar keluarga|Family room",
        "Suite|Suite|Suite|Suíte|Suite|Suite|Apartament|Suite|Suite",
    )),
}

CATEGORY_OF_TRADE = {
    "fashion": "clothing", "shoes": "shoes", "electronics": "electronics", "books": "books",
    "cosmetics": "cosmetics", "toys": "toys", "bakery": "bakery", "furniture": "furniture",
    "metal": "industrial", "plastics": "industrial", "wholesale": "industrial",
    "restaurant": "dishes", "hotel": "rooms", "software": "software",
}
MIXED = ("clothing", "shoes", "electronics", "books", "cosmetics", "toys")

VARIANTS = ("Classic", "Premium", "Eco", "Basic", "Deluxe", "Nova", "Vintage", "Pro", "Mini", "Max")


def category_for(trade: str, pick: int) -> str:
    """The product category of a trade; mixed online retailers rotate through MIXED."""
    return CATEGORY_OF_TRADE.get(trade) or MIXED[pick % len(MIXED)]


def item_names(category: str, lang: str) -> list[str]:
    index = LANGS.index(lang)
    return [item.split("|")[index] for item in _CATEGORIES[category][1]]


def price_range_eur(category: str) -> tuple[float, float]:
    return _CATEGORIES[category][0]


# Conversion from EUR and rounding step, so prices look local.
_RATES = {"EUR": (1.0, 0.01), "GBP": (0.86, 0.01), "PLN": (4.3, 0.01), "BRL": (5.6, 0.1),
          "IDR": (17000.0, 1000.0)}


def local_price(eur: float, currency: str) -> float:
    rate, step = _RATES[currency]
    value = round(eur * rate / step) * step
    if currency in ("EUR", "GBP", "PLN", "BRL"):
        value = int(value) + 0.99 if value >= 1 else value  # shelf prices end in .99
        if currency == "BRL":
            value = round(int(value) + 0.9, 2)
    return round(value, 2)


def _group(digits: str, sep: str) -> str:
    parts = []
    while len(digits) > 3:
        parts.insert(0, digits[-3:])
        digits = digits[:-3]
    parts.insert(0, digits)
    return sep.join(parts)


def format_price(value: float, currency: str, country: str) -> str:
    """`12,99 €`, `€ 12,99`, `£9.99`, `R$ 49,90`, `Rp 150.000`, `39,99 zł`."""
    whole, cents = f"{value:.2f}".split(".")
    if currency == "IDR":
        return f"Rp {_group(whole, '.')}"
    if currency == "GBP" or country == "IE":
        symbol = "£" if currency == "GBP" else "€"
        return f"{symbol}{_group(whole, ',')}.{cents}"
    if currency == "BRL":
        return f"R$ {_group(whole, '.')},{cents}"
    if currency == "PLN":
        return f"{_group(whole, ' ')},{cents} zł"
    if country in ("NL", "BE", "IT"):
        return f"€ {_group(whole, '.')},{cents}"
    sep = "\u202f" if country == "FR" else "."
    return f"{_group(whole, sep)},{cents} €"


# Payment methods a web shop of the country shows in its footer.
PAYMENTS = {
    "DE": ("PayPal", "Klarna", "Visa", "Mastercard", "SEPA-Lastschrift"),
    "AT": ("PayPal", "Klarna", "EPS-Überweisung", "Visa"),
    "FR": ("Carte Bancaire", "PayPal", "Visa", "Mastercard"),
    "ES": ("Bizum", "PayPal", "Visa", "Mastercard"),
    "PT": ("MB WAY", "Multibanco", "PayPal", "Visa"),
    "BR": ("Pix", "Mercado Pago", "PagSeguro", "Boleto"),
    "IT": ("PayPal", "Satispay", "Visa", "Mastercard"),
    "NL": ("iDEAL", "PayPal", "Klarna", "Mollie"),
    "BE": ("Bancontact", "iDEAL", "PayPal", "Visa"),
    "PL": ("BLIK", "Przelewy24", "PayU", "Visa"),
    "ID": ("Midtrans", "GoPay", "OVO", "DANA"),
    "IE": ("PayPal", "Apple Pay", "Visa", "Stripe"),
    "GB": ("PayPal", "Apple Pay", "Visa", "Stripe", "Klarna"),
}
