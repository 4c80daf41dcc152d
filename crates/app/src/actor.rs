//! Who is acting: a role and a name. The ledger records actors as `role:name`.

use std::fmt;
use std::str::FromStr;

/// The roles of CONTRACT §8.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    SendingOfficer,
    SendingSupervisor,
    ReceivingOfficer,
    Counsel,
    Auditor,
    Admin,
}

impl Role {
    /// All roles.
    pub const ALL: [Role; 6] = [
        Self::SendingOfficer,
        Self::SendingSupervisor,
        Self::ReceivingOfficer,
        Self::Counsel,
        Self::Auditor,
        Self::Admin,
    ];
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SendingOfficer => "sending_officer",
            Self::SendingSupervisor => "sending_supervisor",
            Self::ReceivingOfficer => "receiving_officer",
            Self::Counsel => "counsel",
            Self::Auditor => "auditor",
            Self::Admin => "admin",
        }
    }
    /// Sending side (may screen and draft manifests).
    pub fn is_sending(self) -> bool {
        matches!(self, Self::SendingOfficer | Self::SendingSupervisor)
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|r| r.as_str() == s).ok_or_else(|| {
            format!(
                "unknown role `{s}`, expected one of `sending_officer`, `sending_supervisor`, `receiving_officer`, `counsel`, `auditor`, `admin`"
            )
        })
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An authenticated actor.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Actor {
    pub role: Role,
    pub name: String,
    /// The facility a receiving officer works for, when bound to one.
    pub facility_id: Option<String>,
}

impl Actor {
    /// A new actor.
    pub fn new(role: Role, name: &str) -> Self {
        Self {
            role,
            name: name.to_string(),
            facility_id: None,
        }
    }
    /// As the ledger records it: `role:name`.
    pub fn id(&self) -> String {
        format!("{}:{}", self.role, self.name)
    }
}
