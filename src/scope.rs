//! What an organiser may act on: the competitions they were granted, or
//! the whole deployment. One deployment can serve several provinces; an
//! organiser of one province must neither read nor change another's
//! competition. Every admin page, admin API and organiser action through
//! the public API asks [`Scope::may`] — through
//! `Catalog::competition_for`, the one place that refuses — before it
//! touches a competition. Pure: the store fills it, the catalogue asks it.

use std::collections::BTreeSet;

/// The competitions an organiser answers for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// A deployment-wide administrator: every competition, present and future.
    Deployment,
    /// These competitions (by id), and no other. Empty for an organiser
    /// who was granted none, or whose account is gone.
    Competitions(BTreeSet<i64>),
}

impl Scope {
    /// Nothing at all.
    pub fn none() -> Scope {
        Scope::Competitions(BTreeSet::new())
    }

    /// Whether competition `competition_id` is the organiser's to read and change.
    pub fn may(&self, competition_id: i64) -> bool {
        match self {
            Scope::Deployment => true,
            Scope::Competitions(ids) => ids.contains(&competition_id),
        }
    }

    pub fn is_deployment(&self) -> bool {
        matches!(self, Scope::Deployment)
    }
}

/// An organiser acting through the web or the API: who, and on what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organizer {
    pub name: String,
    pub scope: Scope,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scoped_organiser_may_only_touch_their_competitions() {
        let scoped = Scope::Competitions([1, 3].into());
        assert!(scoped.may(1) && scoped.may(3));
        assert!(!scoped.may(2));
        assert!(!Scope::none().may(1));
        assert!(Scope::Deployment.may(42));
    }
}
