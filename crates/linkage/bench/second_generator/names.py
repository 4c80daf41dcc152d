"""Name and country tables for the held-out generators (independent of the project).

Lists are in rough frequency order; weights are Zipf-like over the rank.
"""
import unicodedata

FAMILY = """
Hernández García López Martínez Rodríguez González Pérez Ramírez Flores Cruz
Sánchez Rivera Gómez Díaz Reyes Morales Torres Castillo Ortiz Vásquez
Romero Mejía Aguilar Mendoza Chávez Jiménez Ramos Alvarado Guzmán Herrera
Portillo Méndez Argueta Castro Menjívar Rivas Orellana Contreras Álvarez Molina
Velásquez Gutiérrez Escobar Marroquín Vargas Fuentes Rosales Salazar Santos Ayala
Bonilla Zelaya Villalobos Medina Navarro Estrada Cardona Carranza Ruiz Guerra
Pineda Cortez Quintanilla Palacios Soto Campos Serrano Lemus Amaya Guevara
Maldonado Rosa Montoya Cabrera Moreno Valle Aguirre Barahona Paz Zavala
Lara Avilés Domínguez Delgado Peña Solís Cerna Cáceres Sorto Ventura
Chicas Alfaro Barrera Coto Miranda Tobar Duarte Marín Benítez Acosta
Rojas Suárez Vega Mora Cano Quiroz Ponce Luna Salinas Figueroa
Orantes Recinos Alas Henríquez Pacheco Villatoro Zepeda Calderón Mancía Funes
Umaña Bermúdez Osorio Arévalo Ávila Sosa Carrillo Padilla Galdámez Linares
Murillo Chinchilla Bautista Nolasco Baires Durán Ordóñez Ochoa Lobo Matute
Euceda Banegas Maradiaga Tejada Urbina Zúniga Quintero Parra Blanco Mármol
Arias Guardado Landaverde Hidalgo Cisneros Sandoval Villeda Ulloa Andrade Paredes
Cedeño Mosquera Caicedo Ospina Cárdenas Montes Bravo Prieto Zambrano Chacón Briceño
""".split()

# compound family names with particles, inserted at these ranks
FAMILY_COMPOUND = [("de la Cruz", 25), ("De León", 45), ("del Cid", 70), ("de Jesús", 90),
                   ("del Valle", 110), ("de los Santos", 130), ("de Paz", 150)]

MALE = """
José Juan Carlos Luis Jorge Miguel Francisco Jesús Pedro Mario
Óscar Manuel Antonio Julio Marvin Kevin Edwin Wilmer William Nelson
Santos Rafael Roberto Ricardo Fernando Javier David Daniel Walter Jonathan
Brayan Erick Elmer Douglas Mauricio René Rigoberto Salvador Ángel Alexander
Alejandro Andrés Cristian Henry Josué Melvin Wilfredo Alexis Dennis Jaime
Raúl Samuel Edgar Héctor Hugo Gustavo Víctor Arturo Alberto Eduardo
Enrique Ernesto Gerson Isaac Jairo Kelvin Marlon Néstor Omar Pablo
Ramón Rolando Rubén Sergio Tomás Vladimir Yeferson Yonathan Anderson Bryan
Darwin Denis Dagoberto Efraín Eliseo Esteban Fabio Felipe Gabriel Gilberto
Giovanni Heriberto Hilario Ismael Iván Joel Jhonny Leonel Lorenzo Lucas
Marcos Martín Mateo Moisés Noé Orlando Osmín Reinaldo Rodrigo Rony
Saúl Selvin Teodoro Ulises Wilson Yovani Aníbal Abraham Adolfo Agustín
Alcides Alfredo Amílcar Armando Benjamín Byron César Cristóbal Dimas Domingo
Elías Emilio Ezequiel Fausto Gregorio Guillermo Hernán Humberto Ignacio Jacinto
Jeremías Joaquín Leonardo Lisandro Maximiliano Milton Nahún Nicolás Oswaldo Porfirio
Santiago Sebastián Simón Valentín Yair Zacarías Adalberto Geovanny Isaías Franklin
""".split()

FEMALE = """
María Ana Rosa Karla Yesenia Gabriela Daniela Andrea Claudia Sandra
Patricia Carmen Marta Gloria Sonia Xiomara Dayana Wendy Jennifer Katherine
Evelyn Brenda Fátima Alejandra Marisol Lorena Yolanda Esperanza Paola Valeria
Yuliana Elizabeth Verónica Lucía Jessica Johana Milagro Guadalupe Beatriz Isabel
Fernanda Mariela Carolina Margarita Abigail Yamileth Maribel Susana Reina Delmy
""".split()

# common compound given names (two given-name units)
MALE_COMPOUND = ["José Luis", "Juan Carlos", "José Antonio", "Luis Alberto", "Carlos Alberto",
                 "Jorge Alberto", "Miguel Ángel", "José Manuel", "Juan José", "Juan Pablo",
                 "José Alfredo", "Juan Antonio", "José Francisco", "Luis Fernando",
                 "Carlos Eduardo", "José Roberto", "Juan Francisco", "José Ángel",
                 "Juan de Dios", "José de Jesús", "Luis Enrique", "Víctor Manuel",
                 "José Armando", "Óscar Armando", "Mario Ernesto", "José Rafael",
                 "Francisco Javier", "Juan Manuel", "José Mario", "Carlos Enrique"]
FEMALE_COMPOUND = ["María José", "Ana María", "María Fernanda", "María de los Ángeles",
                   "Rosa María", "María Elena", "Ana Gabriela", "María Isabel",
                   "Karla Patricia", "María del Carmen"]

PARTICLES = {"de", "del", "la", "las", "los", "y", "da"}

# ISO code -> (weight, Spanish name, English name)
COUNTRIES = {
    "SV": (34, "El Salvador", "El Salvador"),
    "VE": (26, "Venezuela", "Venezuela"),
    "HN": (15, "Honduras", "Honduras"),
    "GT": (12, "Guatemala", "Guatemala"),
    "MX": (5, "México", "Mexico"),
    "CO": (4, "Colombia", "Colombia"),
    "NI": (2, "Nicaragua", "Nicaragua"),
    "EC": (2, "Ecuador", "Ecuador"),
}


def zipf_weights(n, s=0.95, q=1.5):
    return [1.0 / (r + q) ** s for r in range(n)]


def family_table():
    names = list(dict.fromkeys(FAMILY))
    for name, rank in FAMILY_COMPOUND:
        names.insert(rank, name)
    return names, zipf_weights(len(names))


def fold(s):
    """Lower case, accents removed, ñ -> n."""
    s = unicodedata.normalize("NFD", s)
    s = "".join(c for c in s if unicodedata.category(c) != "Mn")
    return s.lower()


def strip_accents(s):
    s = unicodedata.normalize("NFD", s)
    return unicodedata.normalize("NFC", "".join(c for c in s if unicodedata.category(c) != "Mn"))


QWERTY = ["qwertyuiop", "asdfghjklñ", "zxcvbnm"]


def neighbours(c):
    lc = c.lower()
    for r, row in enumerate(QWERTY):
        i = row.find(lc)
        if i < 0:
            continue
        out = []
        if i > 0:
            out.append(row[i - 1])
        if i + 1 < len(row):
            out.append(row[i + 1])
        for rr in (r - 1, r + 1):
            if 0 <= rr < len(QWERTY):
                for j in (i, i + 1) if rr > r else (i - 1, i):
                    if 0 <= j < len(QWERTY[rr]):
                        out.append(QWERTY[rr][j])
        out = [x for x in out if x != "ñ"] or out
        return out
    return ["e", "a"]
