//! Name pools for the synthetic world. Common given and family names of each country,
//! combined at random: no combination is taken from any real case.

pub const GIVEN_MALE: &[&str] = &[
    "José", "Luis", "Juan", "Carlos", "Jorge", "José Luis", "Juan Carlos", "Kevin", "Brayan", "Wilmer",
    "Anderson", "Yeferson", "Jhon", "Óscar", "Mario", "Rafael", "Dagoberto", "Nelson", "Edwin", "Walter",
    "Marvin", "Elmer", "Franklin", "Jesús", "Ángel", "Miguel Ángel", "Luis Alberto", "Erick", "Cristian",
    "Josué", "Moisés", "Santos", "Wilfredo", "René", "Henry", "Andrés", "Daniel", "Ronald", "Darwin",
    "Yorman", "Jean Carlos", "Francisco", "Héctor", "Rubén", "Samuel", "Alexander", "Joel", "Israel",
    "Noé", "Efraín", "Ismael", "Gerson", "Abner", "Élmer Antonio", "Carlos Enrique", "Víctor Manuel",
];
pub const GIVEN_FEMALE: &[&str] = &[
    "María", "Ana Sofía", "Yesenia", "Karla", "Wendy", "Daniela", "Andreína", "María José", "Rosa",
    "Gabriela", "Johana", "Marleny", "Dayana", "Yuleisy", "Sofía",
];

pub fn family_pool(country: &str) -> &'static [&'static str] {
    match country {
        "SV" => &[
            "Hernández", "Martínez", "López", "García", "Rodríguez", "Ramírez", "Flores", "Rivera", "Cruz",
            "Mejía", "Portillo", "Guzmán", "Arévalo", "Quintanilla", "Menjívar", "Alvarado", "Ayala",
            "Chávez", "Orellana", "Romero", "Argueta", "Henríquez", "Escobar", "Bonilla", "Velásquez",
            "Fuentes", "Sorto", "Villalta", "Cañas", "Zelaya", "Amaya", "Lemus", "Molina", "Aguilar",
        ],
        "VE" => &[
            "González", "Rodríguez", "Pérez", "Hernández", "García", "Martínez", "Rondón", "Herrera",
            "Contreras", "Colmenares", "Briceño", "Castillo", "Medina", "Rojas", "Salazar", "Zambrano",
            "Guerrero", "Mora", "Carrillo", "Peña", "Parra", "Marcano", "Urdaneta", "Añez", "Villegas",
            "Sánchez", "Ramírez", "Blanco", "Suárez", "Gil",
        ],
        "HN" => &[
            "Hernández", "López", "Martínez", "Rodríguez", "Mejía", "Reyes", "Cruz", "Zelaya", "Funes",
            "Maradiaga", "Banegas", "Amaya", "Euceda", "Paz", "Murillo", "Ordóñez", "Castro", "Matute",
        ],
        "GT" => &[
            "López", "García", "Pérez", "Hernández", "Morales", "Ramírez", "Xicará", "Cux", "Ajanel",
            "Tzoc", "Chávez", "Méndez", "Choc", "Coyoy", "Sic", "Yax", "Ixcoy", "Orozco",
        ],
        "MX" => &[
            "Hernández", "García", "Martínez", "López", "González", "Rodríguez", "Pérez", "Sánchez",
            "Ramírez", "Torres", "Flores", "Rivera", "Gómez", "Díaz", "Vázquez", "Ortiz", "Núñez",
        ],
        "CO" => &["Rodríguez", "Gómez", "Muñoz", "Rojas", "Díaz", "Moreno", "Jiménez", "Cárdenas", "Ospina"],
        "EC" => &["Vera", "Cedeño", "Zambrano", "Macías", "Mendoza", "Coto", "Andrade", "Quiñónez"],
        "NI" => &["Úbeda", "Dávila", "Mairena", "Obando", "Sandino", "Téllez", "Altamirano"],
        "CU" => &["Pérez", "Fernández", "Valdés", "Cabrera", "Fonseca", "Betancourt", "Milián"],
        _ => &["Miller", "Johnson", "Smith", "Brown", "Davis", "Wilson", "Moore"],
    }
}

/// (country, weight) of nationalities in the synthetic population.
pub const NATIONALITIES: &[(&str, u32)] = &[
    ("SV", 34),
    ("VE", 28),
    ("HN", 12),
    ("GT", 10),
    ("MX", 8),
    ("CO", 2),
    ("EC", 2),
    ("NI", 2),
    ("CU", 1),
    ("US", 1),
];
