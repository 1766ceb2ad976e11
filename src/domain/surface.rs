//! Which API a request speaks to: the one name of the emulator's surfaces, used by the route
//! table, the journal, the metrics and the near misses alike.

/// One of the emulator's APIs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Surface {
    /// The On-Premises API: `/v1/…`, also under `/clusters/{cluster}`.
    OnPremises,
    /// The Cloud API, Meta's Graph API: `/{version}/…` (`/v23.0/…`), also under
    /// `/clusters/{cluster}`.
    Cloud,
    /// The emulator's control API: `/_emulator/…`.
    Control,
    /// The emulator's front door, `GET /`.
    Root,
}

impl Surface {
    /// Every surface, in the order the metrics list them.
    pub const ALL: [Self; 4] = [Self::OnPremises, Self::Cloud, Self::Control, Self::Root];

    /// The surface's name, as filters, metrics and near misses write it: `on_premises`,
    /// `cloud`, `control`, `root`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::OnPremises => "on_premises",
            Self::Cloud => "cloud",
            Self::Control => "control",
            Self::Root => "root",
        }
    }

    /// The surface [`Surface::as_str`] names.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// The surface of a journaled path (a vendor or Graph path, without its cluster): the
    /// On-Premises API's below `/v1`, the Cloud API's otherwise.
    pub fn of_journaled(path: &str) -> Self {
        if path == "/v1" || path.starts_with("/v1/") {
            Self::OnPremises
        } else {
            Self::Cloud
        }
    }

    /// Whether a client of the emulated vendor (rather than a test steering it) speaks to
    /// this surface: its requests are journaled, faults fire on them.
    pub const fn is_vendor(self) -> bool {
        matches!(self, Self::OnPremises | Self::Cloud)
    }
}

impl std::fmt::Display for Surface {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_surface_is_read_back_from_its_name() {
        for surface in Surface::ALL {
            assert_eq!(Surface::parse(surface.as_str()), Some(surface));
        }
        assert_eq!(Surface::parse("graph"), None);
        assert_eq!(Surface::of_journaled("/v1/account"), Surface::OnPremises);
        assert_eq!(Surface::of_journaled("/v23.0/1/register"), Surface::Cloud);
    }
}
