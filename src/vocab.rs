//! The product's vocabulary as closed enums: surfaces, offer kinds, frames, plays, lifecycle
//! stages and checkout tiers.
//!
//! Every value is spelled in `snake_case` wherever it appears as a value (store file, context
//! JSON, decision JSON), so a store author and a JavaScript developer write the same words:
//! `"in_product"`, `"risk_reduction"`. Field *names* in JSON are camelCase.

use serde::{Deserialize, Serialize};

macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash,
            serde::Serialize, serde::Deserialize,
        )]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every value, in declaration order (the order of their wire tags).
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// Every value's spelling, in declaration order.
            pub const NAMES: &'static [&'static str] = &[$($text),+];

            /// The value's spelling in files and JSON.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// Reads the spelling used in files and JSON.
            pub fn parse(text: &str) -> Option<Self> {
                match text {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }

            /// The position in [`Self::ALL`]: a compact index for bitmasks and tables.
            pub const fn index(self) -> usize {
                self as usize
            }
        }

        impl core::fmt::Display for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

/// For the decision's left-out codes (`SkipReason`), spelled the same way.
pub(crate) use vocabulary;

vocabulary! {
    /// Where a decision is shown.
    Surface {
        /// The checkout page: one offer by default.
        Checkout = "checkout",
        /// The cart page or drawer.
        Cart = "cart",
        /// A product page.
        ProductPage = "product_page",
        /// A widget inside the product itself (a course player, a template editor).
        InProduct = "in_product",
        /// The page after a purchase.
        PostPurchase = "post_purchase",
        /// An email, decided in batch by the CLI.
        Email = "email",
    }
}

vocabulary! {
    /// What an offer is.
    OfferKind {
        /// A companion add-on that helps use what was bought.
        Companion = "companion",
        /// Several items sold together.
        Bundle = "bundle",
        /// A higher tier of something the shopper has.
        Upgrade = "upgrade",
        /// A plan: annual, subscription, membership.
        Plan = "plan",
        /// Support or coaching.
        Support = "support",
    }
}

vocabulary! {
    /// The argument an offer's copy makes.
    Frame {
        /// It saves time and effort.
        Convenience = "convenience",
        /// It lowers the chance of failing or regretting.
        RiskReduction = "risk_reduction",
        /// It completes what was bought.
        Completeness = "completeness",
        /// It gets the result sooner.
        OutcomeAcceleration = "outcome_acceleration",
        /// It costs less over time (value framing, not a coupon).
        CostEfficiency = "cost_efficiency",
        /// It is the best version.
        Premium = "premium",
    }
}

vocabulary! {
    /// The engine's stance for one decision.
    Play {
        /// Education, reassurance, a low-friction companion.
        Assist = "assist",
        /// Add-ons and bundles that complete the purchase.
        Expand = "expand",
        /// Upgrade, annual plan, higher tier.
        Commit = "commit",
        /// Show nothing; remove friction.
        Protect = "protect",
    }
}

impl Play {
    /// How much selling the play does: Protect least, Commit most. A rule caps the play by it,
    /// and the fallbacks step down it.
    pub const fn rank(self) -> u8 {
        match self {
            Play::Protect => 0,
            Play::Assist => 1,
            Play::Expand => 2,
            Play::Commit => 3,
        }
    }
}

vocabulary! {
    /// Where the shopper is in their life with the store.
    Stage {
        /// Has not bought yet.
        PrePurchase = "pre_purchase",
        /// Bought once, getting the first result.
        FirstSuccess = "first_success",
        /// Uses what they bought, again and again.
        RepeatUse = "repeat_use",
        /// Outgrowing what they have.
        Expansion = "expansion",
        /// Has not been back for a long time.
        Dormant = "dormant",
    }
}

vocabulary! {
    /// Where offers that sell only items the shopper already viewed may go (`offer_viewed` of
    /// `[policy]`): a slot should show something new, but a viewed item is better than an empty
    /// slot unless the store says otherwise.
    ViewedOffers {
        /// After every eligible offer of something not yet viewed (the default).
        Last = "last",
        /// Nowhere: left out as `viewed`.
        Never = "never",
        /// Wherever their score puts them (what formats before 4 did).
        AsRanked = "as_ranked",
    }
}

vocabulary! {
    /// A rung of the checkout tier ladder, chosen by cart value.
    Tier {
        /// A low-friction add-on.
        AddOn = "add_on",
        /// A bundle.
        Bundle = "bundle",
        /// A premium offer.
        Premium = "premium",
    }
}

/// A set of surfaces as a bitmask over [`Surface::index`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SurfaceSet(pub u8);

impl SurfaceSet {
    /// Whether `surface` is in the set.
    pub const fn contains(self, surface: Surface) -> bool {
        self.0 & (1 << surface.index()) != 0
    }

    /// The set with `surface` added.
    #[must_use]
    pub const fn with(self, surface: Surface) -> Self {
        SurfaceSet(self.0 | (1 << surface.index()))
    }

    /// Whether no surface is in the set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// A set of offer kinds as a bitmask over [`OfferKind::index`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct KindSet(pub u8);

impl KindSet {
    /// Whether `kind` is in the set.
    pub const fn contains(self, kind: OfferKind) -> bool {
        self.0 & (1 << kind.index()) != 0
    }

    /// The set with `kind` added.
    #[must_use]
    pub const fn with(self, kind: OfferKind) -> Self {
        KindSet(self.0 | (1 << kind.index()))
    }

    /// Whether no kind is in the set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_round_trip() {
        for s in Surface::ALL {
            assert_eq!(Surface::parse(s.as_str()), Some(*s));
        }
        for f in Frame::ALL {
            assert_eq!(Frame::parse(f.as_str()), Some(*f));
        }
        assert_eq!(Surface::parse("In_Product"), None);
    }

    #[test]
    fn serde_spells_every_value_as_as_str_does() {
        fn check<T: Serialize + Copy>(all: &[T], name: fn(T) -> &'static str) {
            for &value in all {
                let json = serde_json::to_string(&value).unwrap();
                assert_eq!(json, format!("\"{}\"", name(value)));
            }
        }
        check(Surface::ALL, Surface::as_str);
        check(OfferKind::ALL, OfferKind::as_str);
        check(Frame::ALL, Frame::as_str);
        check(Play::ALL, Play::as_str);
        check(Stage::ALL, Stage::as_str);
        check(Tier::ALL, Tier::as_str);
        check(crate::SkipReason::ALL, crate::SkipReason::as_str);
    }

    #[test]
    fn sets_hold_what_was_added() {
        let set = SurfaceSet::default()
            .with(Surface::Checkout)
            .with(Surface::Email);
        assert!(set.contains(Surface::Checkout));
        assert!(set.contains(Surface::Email));
        assert!(!set.contains(Surface::Cart));
        assert!(KindSet::default().is_empty());
    }
}
