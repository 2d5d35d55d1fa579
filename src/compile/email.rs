//! The email pass: `[email]`, when email offers may go out after a purchase.
//!
//! Each kind's window is `[from, to]` after the customer's last purchase; a window must open
//! before it closes and end within 365 days (memory keeps email impressions and the last
//! purchase that long, and no longer). A window that the quiet period after an order covers
//! whole, or a kind timed that no offer on the email surface has, can never send anything:
//! warnings, as the compiler warns of other offers that never show.

use toml::Spanned;

use super::values::names_of;
use super::{Builder, Code, ROOT, store};
use crate::snapshot::MAX_EMAIL_WINDOW;
use crate::snapshot::wire::{EmailTiming, EmailWindow, Minutes, Offer};
use crate::vocab::{OfferKind, Surface};

impl Builder {
    /// `[email]`, checked against the offers that may be emailed.
    pub(super) fn email(
        &mut self,
        section: Option<&store::EmailSection>,
        offers: &[Offer],
    ) -> Option<EmailTiming> {
        let section = section?;
        let quiet_after_order = match &section.quiet_after_order {
            Some(text) => self.window_bound(text).unwrap_or(0),
            None => 3 * 24 * 60,
        };
        let mut windows: Vec<EmailWindow> = Vec::new();
        for (kind_name, bounds) in &section.after_purchase {
            let kind = self.vocab(
                ROOT,
                kind_name,
                OfferKind::parse,
                "kind",
                &names_of(OfferKind::ALL),
            );
            let window = self.window(kind_name.get_ref(), bounds);
            let (Some(kind), Some((from, to))) = (kind, window) else {
                continue;
            };
            if to <= quiet_after_order {
                self.warning(
                    ROOT,
                    Code::NeverShown,
                    bounds.span(),
                    format!("the `{kind}` window closes within `quiet_after_order`, so no {kind} offer is ever emailed"),
                );
            }
            let emailed = |o: &&Offer| o.kind == kind && o.surfaces.contains(Surface::Email);
            if !offers.iter().any(|o| emailed(&o)) {
                self.warning(
                    ROOT,
                    Code::NeverShown,
                    kind_name.span(),
                    format!(
                        "no `{kind}` offer may appear on `email`, so this window times nothing"
                    ),
                );
            }
            windows.push(EmailWindow { kind, from, to });
        }
        crate::sort::sort_by(&mut windows, |a, b| a.kind < b.kind);
        Some(EmailTiming {
            quiet_after_order,
            once_per_window: section.once_per_window.unwrap_or(true),
            windows,
        })
    }

    /// One kind's `[from, to]`.
    fn window(
        &mut self,
        kind: &str,
        bounds: &Spanned<Vec<Spanned<String>>>,
    ) -> Option<(Minutes, Minutes)> {
        let [from, to] = bounds.get_ref().as_slice() else {
            self.error(
                ROOT,
                Code::Timing,
                bounds.span(),
                format!("the `{kind}` window must be `[from, to]`, such as `[\"14d\", \"30d\"]`"),
            );
            return None;
        };
        let (from_minutes, to_minutes) = (self.window_bound(from)?, self.window_bound(to)?);
        if from_minutes > to_minutes {
            self.error(
                ROOT,
                Code::Timing,
                bounds.span(),
                format!(
                    "the `{kind}` window closes (`{}`) before it opens (`{}`)",
                    to.get_ref(),
                    from.get_ref()
                ),
            );
            return None;
        }
        Some((from_minutes, to_minutes))
    }

    /// A duration within 365 days.
    fn window_bound(&mut self, text: &Spanned<String>) -> Option<Minutes> {
        let minutes = self.long_duration(ROOT, text, false)?;
        if minutes > MAX_EMAIL_WINDOW {
            self.error(
                ROOT,
                Code::Timing,
                text.span(),
                format!(
                    "`{}` is over 365 days: memory keeps a customer's email history a year",
                    text.get_ref()
                ),
            );
            return None;
        }
        Some(minutes)
    }
}
