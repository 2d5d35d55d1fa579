//! The model file: what `tactful train` writes and `tactful compile` reads. TOML, so a person
//! can write the hand-set default model that ships with the sample store:
//!
//! ```toml
//! attach_window_days = 30
//! [readiness]
//! bias = -0.5
//! [readiness.weights]
//! "signals.add_to_cart" = 0.6     # counts enter as ln(1 + n)
//! "facts.orders" = 0.3
//! "stage.repeat_use" = 0.5        # 1 in that stage, else 0
//! [risk]                          # same shape; also [price_sensitivity]
//! [popularity]
//! "course-foundations" = 0.9      # in [0, 1]
//! [neighbours]
//! "course-foundations" = [{ item = "brush-pack", weight = 0.62, attach = 0.41 }]
//! ```
//!
//! Feature names: `signals.<event>`, `facts.<fact>` (numbers and booleans), `cart.value`,
//! `cart.size`, `owned.count`, `stage.<stage>`, `surface.<surface>`. Ids in `popularity` and
//! `neighbours` that the store does not sell are skipped with a warning: models are trained on
//! history that includes retired items. Weights are quantised to 256 levels.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

/// A model file.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ModelFile {
    pub attach_window_days: Option<u16>,
    pub readiness: Option<LogisticSection>,
    pub risk: Option<LogisticSection>,
    pub price_sensitivity: Option<LogisticSection>,
    #[serde(default)]
    pub popularity: BTreeMap<Spanned<String>, Spanned<f64>>,
    #[serde(default)]
    pub neighbours: BTreeMap<Spanned<String>, Vec<NeighbourSection>>,
}

/// A logistic model.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct LogisticSection {
    #[serde(default)]
    pub bias: f32,
    #[serde(default)]
    pub weights: BTreeMap<Spanned<String>, f32>,
}

/// One neighbour of an item.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NeighbourSection {
    pub item: Spanned<String>,
    pub weight: Spanned<f64>,
    pub attach: Option<Spanned<f64>>,
}
