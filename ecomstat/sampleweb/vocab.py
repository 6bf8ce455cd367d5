"""Page vocabulary of the sample web in its nine languages.

Written for this project (no third-party text). Each entry is one string per language in the
order of `LANGS`, separated by `|`, so a missing translation fails loudly at import time.
"""

from __future__ import annotations

LANGS = ("de", "fr", "es", "pt", "it", "nl", "pl", "id", "en")


def _table(raw: dict[str, str]) -> dict[str, dict[str, str]]:
    table: dict[str, dict[str, str]] = {}
    for key, joined in raw.items():
        parts = [part.strip() for part in joined.split("|")]
        if len(parts) != len(LANGS):
            raise ValueError(f"vocabulary entry {key!r} has {len(parts)} languages, not 9")
        table[key] = dict(zip(LANGS, parts))
    return table


# URL slugs of the standard pages.
SLUGS = _table(
    {
        "imprint": "impressum|mentions-legales|aviso-legal|aviso-legal|note-legali|colofon|"
        "nota-prawna|informasi-perusahaan|legal-notice",
        "contact": "kontakt|contact|contacto|contato|contatti|contact|kontakt|kontak|contact",
        "about": "ueber-uns|a-propos|sobre-nosotros|sobre-nos|chi-siamo|over-ons|o-nas|"
        "tentang-kami|about-us",
        "privacy": "datenschutz|politique-de-confidentialite|politica-de-privacidad|"
        "politica-de-privacidade|privacy|privacybeleid|polityka-prywatnosci|kebijakan-privasi|"
        "privacy-policy",
        "careers": "karriere|carrieres|empleo|carreiras|lavora-con-noi|vacatures|kariera|karir|"
        "careers",
        "services": "leistungen|services|servicios|servicos|servizi|diensten|uslugi|layanan|"
        "services",
        "catalogue": "produkte|produits|productos|produtos|prodotti|producten|produkty|produk|"
        "products",
        "menu": "speisekarte|carte|carta|cardapio|menu|menukaart|menu|menu|menu",
        "order": "bestellen|commander|pedidos|encomendar|ordina|bestellen|zamow|pesan|order",
        "rooms": "zimmer|chambres|habitaciones|quartos|camere|kamers|pokoje|kamar|rooms",
        "booking": "buchen|reserver|reservar|reservar|prenota|boeken|rezerwacja|pesan-kamar|book",
        "shop": "shop|boutique|tienda|loja|negozio|winkel|sklep|toko|shop",
        "cart": "warenkorb|panier|carrito|carrinho|carrello|winkelwagen|koszyk|keranjang|basket",
        "calendar": "kalender|calendrier|calendario|agenda|calendario|agenda|kalendarz|"
        "kalender|calendar",
    }
)

# Visible words and short phrases.
WORDS = _table(
    {
        "imprint": "Impressum|Mentions légales|Aviso legal|Aviso legal|Note legali|Colofon|"
        "Nota prawna|Informasi perusahaan|Legal notice",
        "contact": "Kontakt|Contact|Contacto|Contato|Contatti|Contact|Kontakt|Kontak|Contact",
        "about": "Über uns|À propos|Sobre nosotros|Sobre nós|Chi siamo|Over ons|O nas|"
        "Tentang kami|About us",
        "privacy": "Datenschutzerklärung|Politique de confidentialité|Política de privacidad|"
        "Política de privacidade|Informativa sulla privacy|Privacybeleid|Polityka prywatności|"
        "Kebijakan privasi|Privacy policy",
        "careers": "Karriere|Carrières|Empleo|Carreiras|Lavora con noi|Vacatures|Kariera|Karir|"
        "Careers",
        "home": "Startseite|Accueil|Inicio|Início|Home|Home|Strona główna|Beranda|Home",
        "services": "Leistungen|Nos services|Servicios|Serviços|Servizi|Diensten|Usługi|Layanan|"
        "Our services",
        "catalogue": "Produktkatalog|Catalogue produits|Catálogo de productos|"
        "Catálogo de produtos|Catalogo prodotti|Productcatalogus|Katalog produktów|"
        "Katalog produk|Product catalogue",
        "shop": "Shop|Boutique en ligne|Tienda online|Loja online|Negozio online|Webwinkel|"
        "Sklep internetowy|Toko online|Online shop",
        "add_to_cart": "In den Warenkorb|Ajouter au panier|Añadir al carrito|"
        "Adicionar ao carrinho|Aggiungi al carrello|In winkelwagen|Dodaj do koszyka|"
        "Tambah ke keranjang|Add to basket",
        "cart": "Warenkorb|Panier|Carrito|Carrinho|Carrello|Winkelwagen|Koszyk|Keranjang|Basket",
        "checkout": "Zur Kasse|Commander|Finalizar compra|Finalizar compra|Procedi all'acquisto|"
        "Afrekenen|Do kasy|Checkout|Checkout",
        "quantity": "Menge|Quantité|Cantidad|Quantidade|Quantità|Aantal|Ilość|Jumlah|Quantity",
        "in_stock": "Auf Lager|En stock|En stock|Em estoque|Disponibile|Op voorraad|Dostępny|"
        "Tersedia|In stock",
        "next": "Weiter|Suivant|Siguiente|Próxima|Successivo|Volgende|Następna|Berikutnya|Next",
        "previous": "Zurück|Précédent|Anterior|Anterior|Precedente|Vorige|Poprzednia|"
        "Sebelumnya|Previous",
        "send": "Absenden|Envoyer|Enviar|Enviar|Invia|Verzenden|Wyślij|Kirim|Send",
        "name": "Name|Nom|Nombre|Nome|Nome|Naam|Imię i nazwisko|Nama|Name",
        "email": "E-Mail|E-mail|Correo electrónico|E-mail|E-mail|E-mail|E-mail|Email|E-mail",
        "message": "Nachricht|Message|Mensaje|Mensagem|Messaggio|Bericht|Wiadomość|Pesan|Message",
        "phone": "Telefon|Téléphone|Teléfono|Telefone|Telefono|Telefoon|Telefon|Telepon|Phone",
        "address": "Anschrift|Adresse|Dirección|Endereço|Indirizzo|Adres|Adres|Alamat|Address",
        "vat": "USt-IdNr.|N° TVA intracommunautaire|NIF|NIF|Partita IVA|Btw-nummer|NIP|NPWP|"
        "VAT number",
        "company_id": "Handelsregister|SIREN|Registro Mercantil|Matrícula|REA|KvK-nummer|KRS|NIB|"
        "Company number",
        "managing": "Geschäftsführer|Gérant|Administrador|Gerente|Amministratore|Directeur|"
        "Prezes zarządu|Direktur|Director",
        "order_online": "Online bestellen|Commander en ligne|Pedir online|Peça online|"
        "Ordina online|Online bestellen|Zamów online|Pesan online|Order online",
        "place_order": "Bestellung aufgeben|Valider la commande|Realizar pedido|Fazer pedido|"
        "Conferma ordine|Bestelling plaatsen|Złóż zamówienie|Buat pesanan|Place order",
        "book_now": "Jetzt buchen|Réserver maintenant|Reservar ahora|Reservar agora|"
        "Prenota ora|Nu boeken|Zarezerwuj teraz|Pesan sekarang|Book now",
        "check_in": "Anreise|Arrivée|Llegada|Check-in|Arrivo|Aankomst|Przyjazd|Check-in|Check-in",
        "check_out": "Abreise|Départ|Salida|Check-out|Partenza|Vertrek|Wyjazd|Check-out|Check-out",
        "guests": "Gäste|Personnes|Huéspedes|Hóspedes|Ospiti|Gasten|Goście|Tamu|Guests",
        "per_night": "pro Nacht|par nuit|por noche|por noite|a notte|per nacht|za noc|per malam|"
        "per night",
        "request_quote": "Angebot anfordern|Demander un devis|Solicitar presupuesto|"
        "Pedir orçamento|Richiedi un preventivo|Offerte aanvragen|Zapytaj o ofertę|"
        "Minta penawaran|Request a quote",
        "visit_store": "Besuchen Sie unseren Shop auf|Visitez notre boutique sur|"
        "Visite nuestra tienda en|Visite nossa loja no|Visita il nostro negozio su|"
        "Bezoek onze winkel op|Odwiedź nasz sklep na|Kunjungi toko kami di|Visit our store on",
        "follow_us": "Folgen Sie uns|Suivez-nous|Síguenos|Siga-nos|Seguici|Volg ons|"
        "Obserwuj nas|Ikuti kami|Follow us",
        "share": "Teilen|Partager|Compartir|Compartilhar|Condividi|Delen|Udostępnij|Bagikan|Share",
        "open_positions": "Offene Stellen|Postes ouverts|Ofertas de empleo|Vagas abertas|"
        "Posizioni aperte|Openstaande vacatures|Oferty pracy|Lowongan kerja|Open positions",
        "apply": "Jetzt bewerben|Postuler|Enviar candidatura|Candidatar-se|Candidati|"
        "Solliciteer|Aplikuj|Lamar sekarang|Apply now",
        "no_jobs": "Derzeit keine offenen Stellen.|Aucun poste ouvert actuellement.|"
        "No hay ofertas en este momento.|Nenhuma vaga no momento.|"
        "Nessuna posizione aperta al momento.|Momenteel geen vacatures.|"
        "Obecnie brak ofert pracy.|Saat ini tidak ada lowongan.|No open positions at the moment.",
        "events": "Veranstaltungen|Événements|Eventos|Eventos|Eventi|Evenementen|Wydarzenia|Acara|"
        "Events",
        "price_on_request": "Preis auf Anfrage|Prix sur demande|Precio bajo pedido|"
        "Preço sob consulta|Prezzo su richiesta|Prijs op aanvraag|Cena na zapytanie|"
        "Harga atas permintaan|Price on request",
        "enable_js": "Bitte aktivieren Sie JavaScript, um unseren Shop zu nutzen.|"
        "Veuillez activer JavaScript pour utiliser notre boutique.|"
        "Active JavaScript para usar nuestra tienda.|"
        "Ative o JavaScript para usar nossa loja.|"
        "Attiva JavaScript per usare il nostro negozio.|"
        "Schakel JavaScript in om onze winkel te gebruiken.|"
        "Włącz JavaScript, aby korzystać ze sklepu.|"
        "Aktifkan JavaScript untuk menggunakan toko kami.|"
        "Please enable JavaScript to use our shop.",
        "loading": "Wird geladen …|Chargement …|Cargando …|Carregando …|Caricamento …|Laden …|"
        "Ładowanie …|Memuat …|Loading …",
        "products": "Produkte|Produits|Productos|Produtos|Prodotti|Producten|Produkty|Produk|"
        "Products",
        "payment": "Zahlungsarten|Moyens de paiement|Métodos de pago|Formas de pagamento|"
        "Metodi di pagamento|Betaalmethoden|Metody płatności|Metode pembayaran|Payment methods",
        "job_title": "Mitarbeiter (m/w/d)|Collaborateur (H/F)|Empleado/a|Colaborador(a)|"
        "Addetto/a|Medewerker|Pracownik|Staf|Team member",
        "menu": "Speisekarte|Notre carte|Carta|Cardápio|Menù|Menukaart|Menu|Menu|Menu",
        "rooms": "Zimmer & Preise|Chambres et tarifs|Habitaciones y tarifas|Quartos e preços|"
        "Camere e prezzi|Kamers en prijzen|Pokoje i ceny|Kamar dan harga|Rooms and rates",
    }
)

# Sentences, with {name} and {city} placeholders, enough running text for language detection.
TEXTS = _table(
    {
        "intro": "Willkommen bei {name}. Seit vielen Jahren sind wir Ihr zuverlässiger Partner in "
        "{city} und Umgebung. Qualität, Beratung und persönlicher Service stehen bei uns an "
        "erster Stelle.|Bienvenue chez {name}. Depuis de nombreuses années, nous sommes votre "
        "partenaire de confiance à {city} et dans la région. La qualité, le conseil et un service "
        "personnalisé sont nos priorités.|Bienvenido a {name}. Desde hace muchos años somos su "
        "socio de confianza en {city} y alrededores. La calidad, el asesoramiento y el servicio "
        "personalizado son nuestra prioridad.|Bem-vindo à {name}. Há muitos anos somos o seu "
        "parceiro de confiança em {city} e região. Qualidade, aconselhamento e atendimento "
        "personalizado são a nossa prioridade.|Benvenuti da {name}. Da molti anni siamo il "
        "vostro partner di fiducia a {city} e dintorni. Qualità, consulenza e un servizio "
        "personalizzato sono la nostra priorità.|Welkom bij {name}. Al vele jaren zijn wij uw "
        "betrouwbare partner in {city} en omgeving. Kwaliteit, advies en persoonlijke service "
        "staan bij ons voorop.|Witamy w {name}. Od wielu lat jesteśmy Twoim zaufanym partnerem w "
        "{city} i okolicach. Jakość, doradztwo i indywidualna obsługa są dla nas "
        "najważniejsze.|Selamat datang di {name}. Sejak bertahun-tahun kami adalah mitra "
        "terpercaya Anda di {city} dan sekitarnya. Kualitas, konsultasi, dan pelayanan pribadi "
        "adalah prioritas kami.|Welcome to {name}. For many years we have been your reliable "
        "partner in {city} and the surrounding area. Quality, advice and personal service come "
        "first for us.",
        "about": "Unser Familienunternehmen wurde vor über zwanzig Jahren gegründet und "
        "beschäftigt heute ein engagiertes Team. Wir arbeiten nachhaltig und regional.|Notre "
        "entreprise familiale a été fondée il y a plus de vingt ans et emploie aujourd'hui une "
        "équipe engagée. Nous travaillons de manière durable et locale.|Nuestra empresa familiar "
        "se fundó hace más de veinte años y hoy cuenta con un equipo comprometido. Trabajamos de "
        "forma sostenible y local.|A nossa empresa familiar foi fundada há mais de vinte anos e "
        "hoje conta com uma equipa dedicada. Trabalhamos de forma sustentável e local.|La nostra "
        "azienda di famiglia è stata fondata più di vent'anni fa e oggi conta su un team "
        "motivato. Lavoriamo in modo sostenibile e locale.|Ons familiebedrijf is meer dan twintig "
        "jaar geleden opgericht en heeft vandaag een betrokken team. Wij werken duurzaam en "
        "lokaal.|Nasza rodzinna firma powstała ponad dwadzieścia lat temu i dziś zatrudnia "
        "zaangażowany zespół. Działamy w sposób zrównoważony i lokalny.|Perusahaan keluarga kami "
        "didirikan lebih dari dua puluh tahun yang lalu dan kini memiliki tim yang berdedikasi. "
        "Kami bekerja secara berkelanjutan dan lokal.|Our family business was founded more than "
        "twenty years ago and today employs a committed team. We work sustainably and locally.",
        "privacy": "Wir verarbeiten personenbezogene Daten nur im Rahmen der gesetzlichen "
        "Bestimmungen. Sie haben das Recht auf Auskunft, Berichtigung und Löschung Ihrer "
        "Daten.|Nous traitons les données personnelles uniquement dans le cadre des dispositions "
        "légales. Vous disposez d'un droit d'accès, de rectification et d'effacement de vos "
        "données.|Tratamos los datos personales únicamente dentro del marco legal. Usted tiene "
        "derecho de acceso, rectificación y supresión de sus datos.|Tratamos os dados pessoais "
        "apenas no âmbito das disposições legais. Tem o direito de acesso, retificação e "
        "eliminação dos seus dados.|Trattiamo i dati personali solo nel rispetto delle "
        "disposizioni di legge. Avete diritto di accesso, rettifica e cancellazione dei vostri "
        "dati.|Wij verwerken persoonsgegevens alleen binnen de wettelijke bepalingen. U heeft "
        "het recht op inzage, correctie en verwijdering van uw gegevens.|Przetwarzamy dane "
        "osobowe wyłącznie zgodnie z przepisami prawa. Masz prawo dostępu do swoich danych, ich "
        "sprostowania i usunięcia.|Kami memproses data pribadi hanya sesuai dengan ketentuan "
        "hukum. Anda berhak untuk mengakses, memperbaiki, dan menghapus data Anda.|We process "
        "personal data only within the legal provisions. You have the right to access, correct "
        "and delete your data.",
        "contact_form": "Schreiben Sie uns, wir melden uns innerhalb von zwei Werktagen.|"
        "Écrivez-nous, nous vous répondrons sous deux jours ouvrés.|Escríbanos y le responderemos "
        "en dos días laborables.|Escreva-nos, responderemos em dois dias úteis.|Scriveteci, vi "
        "risponderemo entro due giorni lavorativi.|Schrijf ons, wij reageren binnen twee "
        "werkdagen.|Napisz do nas, odpowiemy w ciągu dwóch dni roboczych.|Tulis pesan kepada "
        "kami, kami akan membalas dalam dua hari kerja.|Write to us and we will reply within two "
        "working days.",
        "job": "Wir suchen zum nächstmöglichen Zeitpunkt eine engagierte Fachkraft in Vollzeit.|"
        "Nous recherchons dès que possible un collaborateur motivé à temps plein.|Buscamos lo "
        "antes posible una persona comprometida a jornada completa.|Procuramos com a maior "
        "brevidade um profissional dedicado a tempo inteiro.|Cerchiamo al più presto una figura "
        "motivata a tempo pieno.|Wij zoeken zo snel mogelijk een gemotiveerde collega voor "
        "fulltime.|Poszukujemy jak najszybciej zaangażowanej osoby na pełen etat.|Kami mencari "
        "secepatnya tenaga profesional yang berdedikasi untuk posisi penuh waktu.|We are looking "
        "for a committed full-time professional to join us as soon as possible.",
        "marketplace_only": "Unsere Produkte verkaufen wir ausschließlich über Online-"
        "Marktplätze.|Nous vendons nos produits exclusivement sur des places de marché en ligne.|"
        "Vendemos nuestros productos exclusivamente a través de marketplaces.|Vendemos os nossos "
        "produtos exclusivamente através de marketplaces.|Vendiamo i nostri prodotti "
        "esclusivamente tramite marketplace online.|Wij verkopen onze producten uitsluitend via "
        "online marktplaatsen.|Nasze produkty sprzedajemy wyłącznie przez platformy "
        "sprzedażowe.|Kami menjual produk kami hanya melalui marketplace.|We sell our products "
        "exclusively through online marketplaces.",
        "manufacturer": "Wir fertigen in eigener Produktion und liefern an Handel und "
        "Industrie. Preise erhalten Sie auf Anfrage.|Nous fabriquons dans nos propres ateliers "
        "et livrons le commerce et l'industrie. Prix sur demande.|Fabricamos en nuestras propias "
        "instalaciones y suministramos al comercio y la industria. Precios bajo pedido.|"
        "Fabricamos em instalações próprias e fornecemos ao comércio e à indústria. Preços sob "
        "consulta.|Produciamo nei nostri stabilimenti e forniamo commercio e industria. Prezzi "
        "su richiesta.|Wij produceren in eigen fabriek en leveren aan handel en industrie. "
        "Prijzen op aanvraag.|Produkujemy we własnym zakładzie i dostarczamy dla handlu i "
        "przemysłu. Ceny na zapytanie.|Kami memproduksi di pabrik sendiri dan memasok untuk "
        "perdagangan dan industri. Harga atas permintaan.|We manufacture in our own plant and "
        "supply trade and industry. Prices on request.",
        "parked": "Diese Domain steht möglicherweise zum Verkauf.|Ce domaine est peut-être à "
        "vendre.|Este dominio puede estar a la venta.|Este domínio pode estar à venda.|Questo "
        "dominio potrebbe essere in vendita.|Dit domein is mogelijk te koop.|Ta domena może być "
        "na sprzedaż.|Domain ini mungkin dijual.|This domain may be for sale.",
    }
)


def word(key: str, lang: str) -> str:
    return WORDS[key][lang]


def slug(key: str, lang: str) -> str:
    return SLUGS[key][lang]


def text(key: str, lang: str, **values: str) -> str:
    return TEXTS[key][lang].format(**values)
