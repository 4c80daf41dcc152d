"""Name and person model shared by gen_reconcile.py and gen_locator.py.

Everything here is invented from common Hispanic name lists: no real individual is
described.  Only the Python standard library is used, and all randomness comes from
the random.Random instance handed in by the caller, so output is deterministic.
"""

import bisect
import itertools
import unicodedata

# ---------------------------------------------------------------------------
# Family names, roughly from most to least common in Central America / the
# Northern Triangle.  A "unit" is one family name; particle names such as
# "de la Cruz" are a single unit.
# ---------------------------------------------------------------------------
FAMILY_NAMES = """
Hernández García López Martínez González Rodríguez Pérez Flores Ramírez Cruz
Rivera Sánchez Gómez Díaz Reyes Morales Torres Castillo Romero Mejía
Aguilar Vásquez Ramos Ortiz Chávez Alvarado Jiménez Castro Mendoza Guzmán
Álvarez Portillo Rivas Orellana Ayala Argueta Menjívar Escobar Molina Méndez
Herrera Fuentes Cortez Guevara Deras Zelaya Ventura Alfaro Campos Amaya
Bonilla Velásquez Rosales Guerra Vargas Santos Lemus Contreras Navarro Soto
Medina Rodas Pineda Arévalo Cardona Interiano Maldonado Paz Recinos Quintanilla
Vides Chicas Umaña Zaldaña Ruiz Salazar Estrada Figueroa Aguirre Cabrera
Carranza Cerna Cornejo Durán Echeverría Elías Espinoza Fernández Franco Gálvez
Galdámez Granados Hidalgo Iraheta Juárez Lara Leiva Linares Lobo Lovo
Machado Marroquín Martell Melgar Mena Miranda Montes Montoya Moreno Muñoz
Murillo Najarro Nolasco Ochoa Olivares Orantes Osorio Palacios Pacheco Padilla
Paredes Peña Platero Quijada Quintero Ríos Rojas Roque Salgado Salinas
Sandoval Saravia Serrano Sosa Suárez Tejada Tobar Trejo Urbina Valle
Valencia Vega Villalobos Villalta Villatoro Zamora Zepeda Acosta Alas Alemán
Aparicio Arias Avilés Barahona Barrera Barrientos Batres Benítez Beltrán Bermúdez
Blanco Bolaños Briceño Calderón Canales Carballo Carrillo Cáceres Chinchilla Cienfuegos
Coto Cuéllar Delgado Domínguez Duarte Enríquez Erazo Escalante Espinal Funes
Gaitán Gallardo Gamero Garay Girón Gutiérrez Guardado Henríquez Hurtado Ibarra
Jovel Ladino Landaverde Ledesma Lima Luna Macías Manzanares Marín Mata
Mayorga Meléndez Merino Montano Monterrosa Mora Morán Nieto Núñez Ortega
Osegueda Pocasangre Polanco Ponce Pleitez Quezada Quiroz Rauda Rentería Rico
Robles Rubio Saavedra Solís Solórzano Tenorio Toledo Turcios Ulloa Urquilla
Valladares Vallecillo Varela Velis Vides Villeda Yanes Zavala Zúñiga Abrego
Acevedo Alberto Alfonso Almendárez Anaya Andrade Arana Araujo Archila Arriaza
Artiga Avelar Baires Barillas Bautista Bejarano Bello Bermúdez Bonilla Borja
Bran Burgos Bustillo Cabezas Cadenas Calix Callejas Cañas Cárcamo Cartagena
Ceballos Centeno Cisneros Claros Colindres Córdova Corleto Corvera Cuadra Cuéllar
Dubón Escoto Fajardo Flamenco Fonseca Funez Galeas Gaitán Galindo Gámez
Garmendia Godoy Guandique Guardado Guillén Hércules Ibáñez Izaguirre Jaco
Jerez Lagos Lainez Lazo Leal Lemus Lizama Lozano Madrid Mancía
Marcano Matamoros Medrano Mercado Midence Mojica Monge Montalvo Montenegro Montiel
Moncada Nájera Noyola Oliva Orozco Otero Palma Parada Parra Pavón
Peraza Perdomo Portal Posada Prudencio Quijano Quiñónez Raudales Rendón Reina
Rondón Rosa Ruano Rubí Sáenz Salamanca Sarmiento Segovia Sevilla Sibrián
Silva Sorto Tábora Tercero Tovar Trigueros Ugarte Urrutia Valdez Valdivieso
Vanegas Velasco Vigil Yánez Zambrano Zapata Zeledón Zuniga Carías Oquelí
""".split()

# Family names with a particle.  Rank inside the list = commonness.
PARTICLE_FAMILY_NAMES = [
    "de la Cruz", "de León", "del Cid", "de Paz", "de Jesús", "del Valle",
    "de la O", "de los Santos", "de la Rosa", "de Dios", "de Ávila", "de la Paz",
]

# ---------------------------------------------------------------------------
# Given names.  Units with spaces ("María de los Ángeles") are single given names
# in the sense of a name a clerk may keep or drop as a whole.
# ---------------------------------------------------------------------------
MALE_GIVEN = """
José Juan Luis Carlos Jorge Miguel Francisco Mario Óscar Manuel
Antonio Jesús Pedro Julio Roberto Ricardo Santos Ángel Víctor Rafael
Fernando Edwin Wilmer Kevin Walter Marvin Nelson Mauricio Josué Alexander
David Daniel Eduardo Javier Alejandro Ernesto Armando René Rigoberto Salvador
Rolando Germán Héctor Hugo Douglas William Henry Erick Jonathan Brayan
Cristian Jefferson Elmer Wilfredo Dagoberto Reynaldo Alfredo Oswaldo Gerardo Samuel
Rubén Raúl Sergio Arturo Fredy Geovanny Yovani Denis Maynor Melvin
Edgar Alex Anderson Bryan Dennis Elvis Franklin Gustavo Hernán Isaac
Ismael Jaime Joel Julián Leonel Marlon Milton Moisés Noé Orlando
Pablo Ramón Ronald Santiago Saúl Tomás Vladimir Wilber Yeison Abel
Adolfo Agustín Alberto Alcides Amílcar Andrés Anselmo Baltazar Benjamín Bernardo
Camilo César Cristóbal Darwin Diego Domingo Efraín Eliseo Emilio Enrique
Esteban Ezequiel Fabián Félix Gabriel Gilberto Guillermo Humberto Ignacio Iván
Jairo Jeremías Joaquín Kelvin Leandro Lorenzo Marcos Martín Matías Mauro
Nicolás Omar Osmín Patricio Rodrigo Rodolfo Rogelio Saúl Selvin Teodoro
Ulises Vicente Yefry Edgardo Evelio Fidel Jonás Leonardo Nahún Abraham
Alvin Byron Cristopher Élmer Erwin Giovanni Jhonny Kenneth Stanley Wálter
Ángel_Gabriel Juan_de_Dios José_de_Jesús
""".split()

FEMALE_GIVEN = """
María Ana Rosa Carmen Sandra Claudia Gloria Marta Blanca Patricia
Karla Yesenia Jessica Glenda Evelyn Ingrid Wendy Yolanda Sonia Silvia
Beatriz Elena Verónica Reina Lorena Roxana Xiomara Cecilia Dina Daysi
Guadalupe Teresa Juana Lucía Isabel Alejandra Andrea Gabriela Daniela Fátima
Jennifer Katherine Brenda Yanira Mirna Iris Delmy Nancy Ruth Raquel
Marisol Maritza Miriam Noemí Orfa Paola Rebeca Sara Susana Vilma
Zulma Abigail Adela Adriana Alba Alicia Amanda Angélica Antonia Aracely
Aura Bertha Brenda Carolina Catalina Concepción Consuelo Cristina Diana Dolores
Edith Elizabeth Elsa Emilia Erika Esmeralda Estela Esther Eugenia Fernanda
Flor Francisca Gladys Graciela Heidy Hilda Irma Jacqueline Jazmín Johana
Josefina Julia Kenia Laura Leticia Lidia Liliana Lilian Luz Magdalena
Margarita Maribel Mercedes Milagro Mónica Natalia Nelly Norma Olga Paula
Reyna Rocío Rosario Sofía Stephanie Tania Vanessa Victoria Yamileth Yeimy
Yessica Zoila Ximena Jimena Dayana Katerin Estefany Heydi Griselda Lesly
Marleny Nohemí Rosibel Sulma Yaneth Yohana Keila Arely Cindy Damaris
Marina Mariela Merlin Nidia Nuria Odalys Rina Sara Tatiana Yadira
María_de_los_Ángeles María_del_Carmen María_José María_Elena Ana_María Rosa_María
María_de_Jesús María_Teresa
""".split()

# Second given names that are common right after a first one (José Luis, Juan Carlos).
MALE_SECOND_BOOST = ["Luis", "Carlos", "Antonio", "Manuel", "Ángel", "Alberto", "Francisco",
                     "Rafael", "Roberto", "Eduardo", "Armando", "Ernesto", "Alexander", "David"]
FEMALE_SECOND_BOOST = ["Elizabeth", "Isabel", "Guadalupe", "Carolina", "Alejandra", "Beatriz",
                       "Margarita", "Elena", "Lorena", "Marisol", "Teresa", "Esmeralda"]


def _dedupe(names):
    seen, out = set(), []
    for n in names:
        n = n.replace("_", " ")
        key = fold(n)
        if key not in seen:
            seen.add(key)
            out.append(n)
    return out


def strip_accents(s):
    """Remove combining marks (á->a, ñ->n, ü->u)."""
    nfd = unicodedata.normalize("NFD", s)
    return unicodedata.normalize("NFC", "".join(c for c in nfd if not unicodedata.combining(c)))


def fold(s):
    """Case- and accent-insensitive key, spaces collapsed."""
    return " ".join(strip_accents(s).lower().split())


# ---------------------------------------------------------------------------
# Zipf-like sampler
# ---------------------------------------------------------------------------
class Zipf:
    """Draw items with weight 1 / (rank + offset) ** s."""

    def __init__(self, items, s=1.0, offset=2.0):
        self.items = list(items)
        weights = [1.0 / (r + offset) ** s for r in range(1, len(self.items) + 1)]
        self.cum = list(itertools.accumulate(weights))

    def draw(self, rng):
        x = rng.random() * self.cum[-1]
        return self.items[bisect.bisect_right(self.cum, x)]


class Weighted:
    def __init__(self, pairs):
        self.items = [p[0] for p in pairs]
        self.cum = list(itertools.accumulate(p[1] for p in pairs))

    def draw(self, rng):
        x = rng.random() * self.cum[-1]
        return self.items[bisect.bisect_right(self.cum, x)]


FAMILY = _dedupe(FAMILY_NAMES)
MALE = _dedupe(MALE_GIVEN)
FEMALE = _dedupe(FEMALE_GIVEN)
assert len(FAMILY) >= 300, len(FAMILY)
assert len(MALE) >= 150, len(MALE)
assert len(FEMALE) >= 150, len(FEMALE)

_family_zipf = Zipf(FAMILY, s=1.0, offset=2.0)
_particle_zipf = Zipf(PARTICLE_FAMILY_NAMES, s=1.0, offset=0.5)
_male_zipf = Zipf(MALE, s=1.0, offset=3.0)
_female_zipf = Zipf(FEMALE, s=1.0, offset=3.0)

# Nationality of deportees on a US -> El Salvador flight.
NATIONALITY = Weighted([
    ("SV", 34), ("GT", 19), ("HN", 19), ("VE", 13), ("MX", 5), ("NI", 3),
    ("CO", 2), ("EC", 2), ("DO", 0.8), ("CU", 0.6), ("PE", 0.6), ("HT", 0.3),
    ("BR", 0.2), ("CR", 0.3), ("PA", 0.2),
])

COUNTRY_NAMES = {  # code: (Spanish, English)
    "SV": ("El Salvador", "El Salvador"), "GT": ("Guatemala", "Guatemala"),
    "HN": ("Honduras", "Honduras"), "VE": ("Venezuela", "Venezuela"),
    "MX": ("México", "Mexico"), "NI": ("Nicaragua", "Nicaragua"),
    "CO": ("Colombia", "Colombia"), "EC": ("Ecuador", "Ecuador"),
    "DO": ("República Dominicana", "Dominican Republic"), "CU": ("Cuba", "Cuba"),
    "PE": ("Perú", "Peru"), "HT": ("Haití", "Haiti"), "BR": ("Brasil", "Brazil"),
    "CR": ("Costa Rica", "Costa Rica"), "PA": ("Panamá", "Panama"),
    "US": ("Estados Unidos", "United States"),
}


def draw_family_unit(rng):
    # About 2.5 % of family-name units carry a particle.
    if rng.random() < 0.025:
        return _particle_zipf.draw(rng)
    return _family_zipf.draw(rng)


def draw_family_pair(rng):
    p = draw_family_unit(rng)
    m = draw_family_unit(rng)
    # Same paternal and maternal name happens (Reyes Reyes) but not at the Zipf rate
    # squared of a careless sampler only: keep it.
    return [p, m]


def draw_given(rng, sex, first=None):
    """One or two given names as a list of units.  `first` forces the first one."""
    z = _male_zipf if sex == "M" else _female_zipf
    boost = MALE_SECOND_BOOST if sex == "M" else FEMALE_SECOND_BOOST
    g1 = first or z.draw(rng)
    names = [g1]
    if " " not in g1 and rng.random() < 0.55:
        for _ in range(20):
            g2 = rng.choice(boost) if rng.random() < 0.35 else z.draw(rng)
            if fold(g2) != fold(g1) and " " not in g2:
                names.append(g2)
                break
    return names


def draw_dob(rng, lo=1955, hi=2008):
    """Deportees are mostly 20-40: a triangular year with mode ~1993."""
    while True:
        y = int(rng.triangular(lo, hi + 1, 1994))
        if lo <= y <= hi:
            break
    m = rng.randint(1, 12)
    d = rng.randint(1, days_in_month(y, m))
    return (y, m, d)


def days_in_month(y, m):
    if m == 2:
        return 29 if (y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)) else 28
    return 30 if m in (4, 6, 9, 11) else 31


def fmt_date(t):
    return "" if t is None else "%04d-%02d-%02d" % t


def draw_document(rng, nat):
    """A plausible, invented identity document number (alphanumeric)."""
    digits = lambda n: "".join(rng.choice("0123456789") for _ in range(n))
    if nat == "SV":      # DUI, 9 digits
        return digits(9)
    if nat in ("GT", "HN"):  # 13-digit CUI / DNI
        return digits(13)
    if nat == "VE":
        return "V" + digits(8)
    if nat == "MX":
        return rng.choice("GNEP") + digits(8)
    if nat == "CO":
        return digits(10)
    # passports
    return rng.choice("ABCEFHKPRSTX") + rng.choice("ABCEFHKPRSTX") + digits(7)


def new_person(rng, sex=None, family=None, nationality=None, dob=None, given=None):
    sex = sex or ("M" if rng.random() < 0.88 else "F")  # deportation flights are mostly men
    person = {
        "sex": sex,
        "family": list(family) if family else draw_family_pair(rng),
        "given": list(given) if given else draw_given(rng, sex),
        "dob": dob or draw_dob(rng),
        "nat": nationality or NATIONALITY.draw(rng),
    }
    person["doc"] = draw_document(rng, person["nat"])
    return person


def sibling_of(rng, p, min_gap=1, max_gap=15):
    """Same two family names and nationality, another given name, dob 1-15 years apart."""
    for _ in range(50):
        sex = "M" if rng.random() < 0.85 else "F"
        given = draw_given(rng, sex)
        if fold(given[0]) != fold(p["given"][0]):
            break
    y, m, d = p["dob"]
    for _ in range(50):
        gap = rng.randint(min_gap, max_gap) * rng.choice((-1, 1))
        ny = y + gap
        if 1955 <= ny <= 2008:
            break
    else:
        ny = y + min_gap if y + min_gap <= 2008 else y - min_gap
    nm = rng.randint(1, 12)
    nd = rng.randint(1, days_in_month(ny, nm))
    return new_person(rng, sex=sex, family=p["family"], nationality=p["nat"],
                      dob=(ny, nm, nd), given=given)


def twin_of(rng, p):
    """Same family names and dob, different given names; sometimes the same first
    given name with a different second one (José Luis / José Carlos)."""
    sex = p["sex"] if rng.random() < 0.7 else ("F" if p["sex"] == "M" else "M")
    if sex == p["sex"] and len(p["given"]) == 2 and rng.random() < 0.4:
        for _ in range(50):
            given = draw_given(rng, sex, first=p["given"][0])
            if len(given) == 2 and fold(given[1]) != fold(p["given"][1]):
                break
        else:
            given = [p["given"][0], "Antonio" if sex == "M" else "Isabel"]
    else:
        for _ in range(50):
            given = draw_given(rng, sex)
            if fold(given[0]) != fold(p["given"][0]):
                break
    return new_person(rng, sex=sex, family=p["family"], nationality=p["nat"],
                      dob=p["dob"], given=given)


def namesake_of(rng, p):
    """Identical full name, another date of birth (a cousin named after the same
    grandfather, or a plain namesake).  Usually the same nationality."""
    nat = p["nat"] if rng.random() < 0.8 else NATIONALITY.draw(rng)
    for _ in range(50):
        dob = draw_dob(rng)
        if dob != p["dob"]:
            break
    return new_person(rng, sex=p["sex"], family=p["family"], nationality=nat,
                      dob=dob, given=p["given"])


def build_population(rng, n, sibling_share=0.08, twin_share=0.015, namesake_share=0.02):
    """n persons with families: returns list of person dicts, each with 'rel'
    (relation tag: '', 'sibling', 'twin', 'namesake') and 'group' (shared by relatives)."""
    people = []
    n_sib_pairs = int(round(n * sibling_share / 2))
    n_twin_pairs = int(round(n * twin_share / 2))
    n_name_pairs = int(round(n * namesake_share / 2))
    group = 0
    for count, maker, tag in ((n_sib_pairs, sibling_of, "sibling"),
                              (n_twin_pairs, twin_of, "twin"),
                              (n_name_pairs, namesake_of, "namesake")):
        for _ in range(count):
            if len(people) + 2 > n:
                break
            group += 1
            a = new_person(rng)
            b = maker(rng, a)
            a["rel"] = b["rel"] = tag
            a["group"] = b["group"] = group
            people += [a, b]
    while len(people) < n:
        p = new_person(rng)
        p["rel"] = ""
        p["group"] = 0
        people.append(p)
    rng.shuffle(people)
    return people


def family_str(p):
    return " ".join(p["family"])


def given_str(p):
    return " ".join(p["given"])
