"""Countries of the sample web: languages, domains, legal forms, cities, streets, names.

Invented for this project from common knowledge (city names, postcode shapes, NUTS-2 region
codes, common surnames); no third-party data set is copied.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class City:
    name: str
    postcode: str  # template: # = random digit, @ = random letter, other characters literal
    region: str  # NUTS-2 code (EU, UK), ISO 3166-2 subdivision (BR, ID)
    area_code: str  # national phone prefix of the city (without trunk 0)


@dataclass(frozen=True)
class Country:
    code: str
    language: str
    weight: float  # share of the population
    tlds: tuple[str, ...]  # first is the usual one
    # (legal form as written after the name, smallest size class it is typical for)
    legal_forms: tuple[tuple[str, int], ...]
    cities: tuple[City, ...]
    streets: tuple[str, ...]
    house_number_first: bool
    surnames: tuple[str, ...]
    brands: tuple[str, ...]
    currency: str
    webmail: tuple[str, ...]
    extra_language: str  # second language of multilingual sites


def _c(name: str, postcode: str, region: str, area: str) -> City:
    return City(name, postcode, region, area)


COUNTRIES: dict[str, Country] = {
    c.code: c
    for c in (
        Country(
            "DE", "de", 16, ("de", "com"),
            (("GmbH", 10), ("GmbH & Co. KG", 50), ("AG", 250), ("e.K.", 0), ("UG", 0), ("KG", 10)),
            (
                _c("Berlin", "10###", "DE30", "30"), _c("Hamburg", "20###", "DE60", "40"),
                _c("München", "80###", "DE21", "89"), _c("Köln", "50###", "DEA2", "221"),
                _c("Stuttgart", "70###", "DE11", "711"), _c("Düsseldorf", "40###", "DEA1", "211"),
                _c("Leipzig", "04###", "DED5", "341"), _c("Nürnberg", "90###", "DE25", "911"),
            ),
            ("Hauptstraße", "Bahnhofstraße", "Gartenweg", "Schillerstraße", "Lindenallee",
             "Industriestraße", "Marktplatz", "Goethestraße", "Mühlenweg", "Königsallee"),
            False,
            ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
             "Schulz", "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf",
             "Schröder", "Neumann", "Schwarz", "Zimmermann", "Krüger", "Hofmann", "Hartmann",
             "Lange", "Werner", "Krause", "Lehmann", "Köhler", "Maier", "Weiß"),
            ("Nordlicht", "Sonnenhof", "Alpenblick", "Lindgrün", "Rheinwerk", "Elbkontor",
             "Spreeblick", "Waldhaus", "Bergquelle", "Hansewerk"),
            "EUR", ("gmx.de", "web.de", "t-online.de", "gmail.com"), "en",
        ),
        Country(
            "AT", "de", 5, ("at", "com"),
            (("GmbH", 10), ("AG", 250), ("e.U.", 0), ("KG", 10), ("OG", 0)),
            (
                _c("Wien", "1###", "AT13", "1"), _c("Graz", "8###", "AT22", "316"),
                _c("Linz", "4###", "AT31", "732"), _c("Salzburg", "5###", "AT32", "662"),
                _c("Innsbruck", "6###", "AT33", "512"),
            ),
            ("Hauptplatz", "Mariahilfer Straße", "Landstraße", "Bahnhofstraße", "Kirchengasse",
             "Herrengasse", "Schulgasse", "Wiener Straße"),
            False,
            ("Gruber", "Huber", "Bauer", "Wagner", "Pichler", "Steiner", "Moser", "Mayer",
             "Hofer", "Leitner", "Berger", "Fuchs", "Eder", "Fischer", "Schmid", "Winkler"),
            ("Donaublick", "Almrausch", "Edelweiß", "Tauernwerk", "Bergkristall", "Wienerwald"),
            "EUR", ("gmx.at", "aon.at", "gmail.com"), "en",
        ),
        Country(
            "FR", "fr", 13, ("fr", "com"),
            (("SARL", 0), ("SAS", 10), ("SA", 250), ("EURL", 0), ("SNC", 10)),
            (
                _c("Paris", "750##", "FR10", "1"), _c("Lyon", "6900#", "FRK2", "4"),
                _c("Marseille", "1300#", "FRL0", "4"), _c("Toulouse", "310##", "FRJ2", "5"),
                _c("Lille", "590##", "FRE1", "3"), _c("Nantes", "440##", "FRG0", "2"),
                _c("Bordeaux", "330##", "FRI1", "5"),
            ),
            ("rue de la République", "avenue Jean Jaurès", "rue Victor Hugo", "boulevard Pasteur",
             "rue du Commerce", "place de la Mairie", "rue des Écoles", "avenue de la Gare"),
            True,
            ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
             "Leroy", "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "Fournier",
             "Girard", "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Chevalier"),
            ("Belle Époque", "Soleil d'Or", "Atelier Lumière", "Les Trois Chênes", "Azur",
             "Clair de Lune", "Mistral"),
            "EUR", ("orange.fr", "free.fr", "laposte.net", "gmail.com"), "en",
        ),
        Country(
            "ES", "es", 10, ("es", "com"),
            (("S.L.", 0), ("S.A.", 50), ("S.L.U.", 10), ("S.Coop.", 10)),
            (
                _c("Madrid", "280##", "ES30", "91"), _c("Barcelona", "080##", "ES51", "93"),
                _c("Valencia", "460##", "ES52", "96"), _c("Sevilla", "410##", "ES61", "95"),
                _c("Bilbao", "480##", "ES21", "94"), _c("Zaragoza", "500##", "ES24", "976"),
            ),
            ("Calle Mayor", "Avenida de la Constitución", "Calle Real", "Plaza de España",
             "Calle del Carmen", "Paseo de Gracia", "Calle San Juan", "Avenida del Puerto"),
            False,
            ("García", "Fernández", "González", "Rodríguez", "López", "Martínez", "Sánchez",
             "Pérez", "Gómez", "Martín", "Jiménez", "Ruiz", "Hernández", "Díaz", "Moreno",
             "Muñoz", "Álvarez", "Romero", "Navarro", "Torres"),
            ("Sol y Mar", "La Ibérica", "El Olivo", "Mediterránea", "Los Almendros", "Alborada"),
            "EUR", ("gmail.com", "hotmail.es", "yahoo.es", "telefonica.net"), "en",
        ),
        Country(
            "PT", "pt", 5, ("pt", "com"),
            (("Lda.", 0), ("S.A.", 50), ("Unipessoal Lda.", 0)),
            (
                _c("Lisboa", "1###-###", "PT17", "21"), _c("Porto", "4###-###", "PT11", "22"),
                _c("Braga", "47##-###", "PT11", "253"), _c("Coimbra", "30##-###", "PT16", "239"),
                _c("Faro", "80##-###", "PT15", "289"),
            ),
            ("Rua Augusta", "Avenida da Liberdade", "Rua de Santa Catarina", "Rua do Comércio",
             "Praça da República", "Rua das Flores", "Avenida dos Aliados"),
            False,
            ("Silva", "Santos", "Ferreira", "Pereira", "Oliveira", "Costa", "Rodrigues",
             "Martins", "Sousa", "Fernandes", "Gonçalves", "Gomes", "Lopes", "Marques", "Almeida"),
            ("Atlântico", "Lusitana", "Vale Verde", "Douro", "Mar Azul", "Alvorada"),
            "EUR", ("sapo.pt", "gmail.com", "hotmail.com"), "en",
        ),
        Country(
            "BR", "pt", 8, ("com.br",),
            (("Ltda", 0), ("S/A", 250), ("EIRELI", 0), ("ME", 0)),
            (
                _c("São Paulo", "01###-###", "BR-SP", "11"),
                _c("Rio de Janeiro", "20###-###", "BR-RJ", "21"),
                _c("Belo Horizonte", "30###-###", "BR-MG", "31"),
                _c("Curitiba", "80###-###", "BR-PR", "41"),
                _c("Porto Alegre", "90###-###", "BR-RS", "51"),
                _c("Salvador", "40###-###", "BR-BA", "71"),
            ),
            ("Rua das Palmeiras", "Avenida Paulista", "Rua XV de Novembro", "Avenida Brasil",
             "Rua Sete de Setembro", "Rua da Consolação", "Avenida Atlântica"),
            False,
            ("Silva", "Santos", "Oliveira", "Souza", "Rodrigues", "Ferreira", "Alves", "Pereira",
             "Lima", "Gomes", "Ribeiro", "Carvalho", "Araújo", "Barbosa", "Cardoso", "Rocha"),
            ("Ipê", "Tropical", "Sabiá", "Jacarandá", "Estrela do Sul", "Cajueiro", "Aurora"),
            "BRL", ("uol.com.br", "bol.com.br", "gmail.com", "hotmail.com"), "en",
        ),
        Country(
            "IT", "it", 11, ("it", "com"),
            (("S.r.l.", 0), ("S.p.A.", 250), ("S.n.c.", 0), ("S.a.s.", 10), ("S.r.l.s.", 0)),
            (
                _c("Milano", "201##", "ITC4", "02"), _c("Roma", "001##", "ITI4", "06"),
                _c("Torino", "101##", "ITC1", "011"), _c("Napoli", "801##", "ITF3", "081"),
                _c("Bologna", "401##", "ITH5", "051"), _c("Firenze", "501##", "ITI1", "055"),
            ),
            ("Via Roma", "Corso Italia", "Via Garibaldi", "Piazza del Duomo", "Via Mazzini",
             "Viale della Repubblica", "Via Dante Alighieri", "Via Verdi"),
            False,
            ("Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci",
             "Marino", "Greco", "Bruno", "Gallo", "Conti", "De Luca", "Mancini", "Costa",
             "Giordano", "Rizzo", "Lombardi", "Moretti"),
            ("Bella Vita", "Il Girasole", "La Fenice", "Aurora", "Dolce Vita", "Stella Alpina"),
            "EUR", ("libero.it", "virgilio.it", "alice.it", "gmail.com"), "en",
        ),
        Country(
            "NL", "nl", 7, ("nl", "com"),
            (("B.V.", 0), ("N.V.", 250), ("V.O.F.", 0)),
            (
                _c("Amsterdam", "10## @@", "NL32", "20"), _c("Rotterdam", "30## @@", "NL33", "10"),
                _c("Utrecht", "35## @@", "NL31", "30"), _c("Eindhoven", "56## @@", "NL41", "40"),
                _c("Groningen", "97## @@", "NL11", "50"),
            ),
            ("Dorpsstraat", "Kerkstraat", "Stationsweg", "Molenweg", "Marktplein", "Havenstraat",
             "Julianalaan", "Prinsengracht"),
            False,
            ("de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Janssen",
             "Visser", "Smit", "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters"),
            ("Tulp", "Windmolen", "Noorderlicht", "Polderwerk", "Oranje", "Zeewind"),
            "EUR", ("ziggo.nl", "kpnmail.nl", "hotmail.com", "gmail.com"), "en",
        ),
        Country(
            "BE", "nl", 4, ("be", "com"),
            (("BV", 0), ("NV", 50), ("SRL", 0), ("SA", 250)),
            (
                _c("Antwerpen", "20##", "BE21", "3"), _c("Gent", "90##", "BE23", "9"),
                _c("Brussel", "10##", "BE10", "2"), _c("Brugge", "80##", "BE25", "50"),
                _c("Leuven", "30##", "BE24", "16"),
            ),
            ("Kerkstraat", "Stationsstraat", "Grote Markt", "Meir", "Veldstraat", "Nieuwstraat"),
            False,
            ("Peeters", "Janssens", "Maes", "Jacobs", "Mertens", "Willems", "Claes", "Goossens",
             "Wouters", "De Smet", "Dubois", "Lambert"),
            ("Schelde", "Belfort", "Ardennen", "Brabo", "Vlaanderen"),
            "EUR", ("telenet.be", "skynet.be", "gmail.com"), "fr",
        ),
        Country(
            "PL", "pl", 8, ("pl", "com.pl", "com"),
            (("Sp. z o.o.", 0), ("S.A.", 250), ("Sp.j.", 0), ("Sp.k.", 10)),
            (
                _c("Warszawa", "00-###", "PL91", "22"), _c("Kraków", "30-###", "PL21", "12"),
                _c("Wrocław", "50-###", "PL51", "71"), _c("Poznań", "60-###", "PL41", "61"),
                _c("Gdańsk", "80-###", "PL63", "58"), _c("Łódź", "90-###", "PL71", "42"),
            ),
            ("ul. Marszałkowska", "ul. Długa", "ul. Piotrkowska", "ul. Floriańska",
             "ul. Świętojańska", "ul. Polna", "ul. Kościuszki", "ul. Mickiewicza"),
            False,
            ("Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński", "Lewandowski",
             "Zieliński", "Szymański", "Woźniak", "Dąbrowski", "Kozłowski", "Jankowski", "Mazur"),
            ("Orzeł", "Wisła", "Bursztyn", "Tatry", "Mazowsze", "Zorza"),
            "PLN", ("wp.pl", "o2.pl", "onet.pl", "interia.pl", "gmail.com"), "en",
        ),
        Country(
            "ID", "id", 6, ("co.id", "id", "com"),
            (("PT", 10), ("CV", 0), ("PT Tbk", 250), ("UD", 0)),
            (
                _c("Jakarta", "10###", "ID-JK", "21"), _c("Surabaya", "60###", "ID-JI", "31"),
                _c("Bandung", "40###", "ID-JB", "22"), _c("Medan", "20###", "ID-SU", "61"),
                _c("Denpasar", "80###", "ID-BA", "361"), _c("Yogyakarta", "55###", "ID-YO", "274"),
            ),
            ("Jl. Sudirman", "Jl. Thamrin", "Jl. Gatot Subroto", "Jl. Diponegoro",
             "Jl. Ahmad Yani", "Jl. Merdeka", "Jl. Gajah Mada", "Jl. Pemuda"),
            False,
            ("Santoso", "Wijaya", "Setiawan", "Kusuma", "Hidayat", "Saputra", "Pratama",
             "Gunawan", "Halim", "Susanto", "Hartono", "Nugroho"),
            ("Maju Jaya", "Sinar Abadi", "Sumber Rejeki", "Cahaya", "Mitra Sejahtera",
             "Karya Mandiri", "Berkah"),
            "IDR", ("gmail.com", "yahoo.co.id"), "en",
        ),
        Country(
            "IE", "en", 3, ("ie", "com"),
            (("Ltd", 0), ("DAC", 50), ("PLC", 250)),
            (
                _c("Dublin", "D0# @###", "IE06", "1"), _c("Cork", "T12 @###", "IE05", "21"),
                _c("Galway", "H91 @###", "IE04", "91"), _c("Limerick", "V94 @###", "IE05", "61"),
            ),
            ("Main Street", "Church Street", "O'Connell Street", "Bridge Street", "Quay Street"),
            True,
            ("Murphy", "Kelly", "O'Sullivan", "Walsh", "Smith", "O'Brien", "Byrne", "Ryan",
             "O'Connor", "O'Neill", "Doyle", "McCarthy"),
            ("Shamrock", "Liffey", "Emerald", "Atlantic", "Celtic"),
            "EUR", ("eircom.net", "gmail.com"), "en",
        ),
        Country(
            "GB", "en", 7, ("co.uk", "com", "uk"),
            (("Ltd", 0), ("PLC", 250), ("LLP", 10)),
            (
                _c("London", "EC1A #@@", "UKI3", "20"), _c("Manchester", "M# #@@", "UKD3", "161"),
                _c("Birmingham", "B# #@@", "UKG3", "121"), _c("Leeds", "LS# #@@", "UKE4", "113"),
                _c("Bristol", "BS# #@@", "UKK1", "117"), _c("Glasgow", "G# #@@", "UKM8", "141"),
            ),
            ("High Street", "Station Road", "Church Lane", "Victoria Road", "Mill Lane",
             "King Street", "Park Road", "London Road"),
            True,
            ("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies",
             "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green",
             "Hall", "Wood", "Jackson", "Clarke"),
            ("Riverside", "Oakwood", "Kingfisher", "Northgate", "Bluebell", "Thistle"),
            "GBP", ("btinternet.com", "hotmail.co.uk", "gmail.com"), "en",
        ),
    )
}

# Trades: key -> (NACE Rev.2 class, words per language in vocab.LANGS order).
TRADES: dict[str, tuple[str, str]] = {
    "fashion": ("47.71", "Mode|Mode|Moda|Moda|Moda|Mode|Moda|Busana|Fashion"),
    "shoes": ("47.72", "Schuhe|Chaussures|Calzados|Calçados|Calzature|Schoenen|Obuwie|Sepatu|"
              "Shoes"),
    "electronics": ("47.54", "Elektro|Électroménager|Electrodomésticos|Eletro|Elettrodomestici|"
                    "Elektro|Elektro|Elektronik|Electricals"),
    "books": ("47.61", "Bücher|Librairie|Librería|Livraria|Libreria|Boekhandel|Księgarnia|"
              "Toko Buku|Books"),
    "cosmetics": ("47.75", "Kosmetik|Cosmétiques|Cosmética|Cosméticos|Cosmetici|Cosmetica|"
                  "Kosmetyki|Kosmetik|Cosmetics"),
    "toys": ("47.65", "Spielwaren|Jouets|Juguetes|Brinquedos|Giocattoli|Speelgoed|Zabawki|"
             "Mainan|Toys"),
    "online": ("47.91", "Versand|Vente en ligne|Online|Online|Online|Online|Online|Online|Online"),
    "wholesale": ("46.90", "Großhandel|Négoce|Distribuciones|Distribuidora|Distribuzione|"
                  "Groothandel|Hurtownia|Grosir|Wholesale"),
    "bakery": ("10.71", "Bäckerei|Boulangerie|Panadería|Padaria|Panificio|Bakkerij|Piekarnia|"
               "Roti|Bakery"),
    "metal": ("25.11", "Metallbau|Construction Métallique|Estructuras Metálicas|Metalúrgica|"
              "Carpenteria Metallica|Staalbouw|Konstrukcje Stalowe|Baja|Steel Fabrication"),
    "furniture": ("31.09", "Möbel|Meubles|Muebles|Móveis|Arredamenti|Meubelen|Meble|Mebel|"
                  "Furniture"),
    "plastics": ("22.29", "Kunststofftechnik|Plasturgie|Plásticos|Plásticos|Materie Plastiche|"
                 "Kunststoffen|Tworzywa|Plastik|Plastics"),
    "electrician": ("43.21", "Elektrotechnik|Électricité|Instalaciones Eléctricas|Eletricidade|"
                    "Impianti Elettrici|Elektrotechniek|Elektroinstalacje|Listrik|Electrical"),
    "construction": ("41.20", "Bau|Construction|Construcciones|Construções|Costruzioni|Bouw|"
                     "Budownictwo|Konstruksi|Construction"),
    "plumbing": ("43.22", "Haustechnik|Plomberie|Fontanería|Canalizações|Idraulica|Installatie|"
                 "Hydraulika|Plumbing|Plumbing"),
    "transport": ("49.41", "Spedition|Transports|Transportes|Transportes|Trasporti|Transport|"
                  "Transport|Ekspedisi|Haulage"),
    "logistics": ("52.29", "Logistik|Logistique|Logística|Logística|Logistica|Logistiek|"
                  "Logistyka|Logistik|Logistics"),
    "hotel": ("55.10", "Hotel|Hôtel|Hotel|Hotel|Hotel|Hotel|Hotel|Hotel|Hotel"),
    "restaurant": ("56.10", "Gasthaus|Restaurant|Restaurante|Restaurante|Trattoria|Restaurant|"
                   "Restauracja|Rumah Makan|Kitchen"),
    "software": ("62.01", "Software|Informatique|Software|Software|Software|Software|Software|"
                 "Teknologi|Software"),
    "insurance": ("66.22", "Versicherungen|Assurances|Seguros|Seguros|Assicurazioni|"
                  "Verzekeringen|Ubezpieczenia|Asuransi|Insurance"),
    "accounting": ("69.20", "Steuerberatung|Expertise Comptable|Asesoría|Contabilidade|"
                   "Studio Commercialista|Accountants|Biuro Rachunkowe|Akuntan|Accountants"),
    "engineering": ("71.12", "Ingenieurbüro|Ingénierie|Ingeniería|Engenharia|Ingegneria|"
                    "Ingenieursbureau|Biuro Projektowe|Teknik|Engineering"),
    "advertising": ("73.11", "Werbeagentur|Publicité|Publicidad|Publicidade|Pubblicità|"
                    "Reclamebureau|Agencja Reklamowa|Periklanan|Advertising"),
    "cleaning": ("81.21", "Gebäudereinigung|Nettoyage|Limpiezas|Limpezas|Pulizie|Schoonmaak|"
                 "Sprzątanie|Kebersihan|Cleaning"),
    "travel": ("79.11", "Reisebüro|Voyages|Viajes|Viagens|Viaggi|Reisbureau|Biuro Podróży|"
               "Travel|Travel"),
    "hairdresser": ("96.02", "Friseur|Coiffure|Peluquería|Cabeleireiro|Parrucchieri|Kapsalon|"
                    "Fryzjer|Salon|Hair"),
    "repair": ("95.11", "Computerservice|Dépannage Informatique|Reparación Informática|"
               "Assistência Informática|Assistenza Computer|Computerservice|Serwis Komputerowy|"
               "Servis Komputer|Computer Repairs"),
}
