//! Copy templates: placeholders in an offer's title and copy and in a pairing's note, which
//! the engine fills in for the offer as it is shown, so that copy never hard-codes a price that
//! a discount, a rule's `no_discount` or a bundle being completed would make wrong.
//!
//! | placeholder | filled with |
//! |---|---|
//! | `{price}` | the price asked, before any discount (for a bundle being completed, the price of what it adds) |
//! | `{final_price}` | the price asked after the discount shown |
//! | `{saving}` | what the shopper saves against buying what the offer adds at catalog prices (never below zero) |
//! | `{discount}` | the discount shown, as `20%` (`0%` with none) |
//! | `{missing}` | the names of the items the offer adds, joined by ` + ` (for a bundle being completed, only those the shopper does not hold) |
//! | `{item}` | the name of the first item the offer adds |
//!
//! `{{` and `}}` stand for a literal brace. The compiler refuses any other use of a brace
//! (an unknown placeholder, an unclosed `{`) at its line and column, so a snapshot it writes
//! holds only these. A template the engine cannot read (a snapshot written by hand) is shown
//! as it is.
//!
//! Money is written with the currency's symbol where it has a common one (`$49`, `€12.50`,
//! `£1,299`) and with its code otherwise (`CHF 49`, `SEK 12.50`): thousands grouped by commas,
//! and the minor digits only when the amount is not whole. It is the same on every host,
//! unlike a locale's formatting, so decisions stay identical everywhere.

/// A placeholder a template may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placeholder {
    /// `{price}`
    Price,
    /// `{final_price}`
    FinalPrice,
    /// `{saving}`
    Saving,
    /// `{discount}`
    Discount,
    /// `{missing}`
    Missing,
    /// `{item}`
    Item,
}

impl Placeholder {
    /// Every placeholder, in the order the reference lists them.
    pub const ALL: &'static [Placeholder] = &[
        Placeholder::Price,
        Placeholder::FinalPrice,
        Placeholder::Saving,
        Placeholder::Discount,
        Placeholder::Missing,
        Placeholder::Item,
    ];

    /// Its name, as written between the braces.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Placeholder::Price => "price",
            Placeholder::FinalPrice => "final_price",
            Placeholder::Saving => "saving",
            Placeholder::Discount => "discount",
            Placeholder::Missing => "missing",
            Placeholder::Item => "item",
        }
    }

    fn parse(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|p| p.name() == name)
    }
}

/// Why a template cannot be read, and the byte offset in its text where that shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateError {
    /// `{name}` with a name that is not a placeholder.
    Unknown {
        /// Offset of the `{`.
        at: usize,
        /// The name between the braces.
        name: String,
    },
    /// A `{` with no `}` after it.
    Unclosed {
        /// Offset of the `{`.
        at: usize,
    },
    /// A `}` that closes nothing.
    StrayClose {
        /// Offset of the `}`.
        at: usize,
    },
}

/// A part of a template.
enum Piece<'a> {
    Text(&'a str),
    Hole(Placeholder),
}

/// Reads `text` piece by piece, or says where it is malformed.
#[allow(
    clippy::indexing_slicing,
    reason = "every bound is next to an ASCII brace that `find` found, so in range and on a char boundary"
)]
fn scan<'a>(text: &'a str, mut piece: impl FnMut(Piece<'a>)) -> Result<(), TemplateError> {
    let mut rest = text;
    let mut offset = 0;
    while let Some(at) = rest.find(['{', '}']) {
        let (before, from) = rest.split_at(at);
        piece(Piece::Text(before));
        let brace = &from[..1];
        let taken = if from.get(1..2) == Some(brace) {
            // `{{` or `}}`: one literal brace.
            piece(Piece::Text(brace));
            2
        } else if brace == "}" {
            return Err(TemplateError::StrayClose { at: offset + at });
        } else {
            let close = from
                .find('}')
                .ok_or(TemplateError::Unclosed { at: offset + at })?;
            let name = &from[1..close];
            let hole = Placeholder::parse(name).ok_or_else(|| TemplateError::Unknown {
                at: offset + at,
                name: name.to_string(),
            })?;
            piece(Piece::Hole(hole));
            close + 1
        };
        offset += at + taken;
        rest = &from[taken..];
    }
    piece(Piece::Text(rest));
    Ok(())
}

/// Checks a template as the compiler does.
#[cfg(any(feature = "compiler", test))]
///
/// # Errors
/// The first [`TemplateError`] in `text`.
pub fn check(text: &str) -> Result<(), TemplateError> {
    scan(text, |_| {})
}

/// Fills in a template; text with no brace is returned as it is, and so is a malformed one.
#[must_use]
pub fn render(text: &str, mut fill: impl FnMut(Placeholder) -> String) -> String {
    if !text.contains(['{', '}']) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 16);
    match scan(text, |piece| match piece {
        Piece::Text(t) => out.push_str(t),
        Piece::Hole(hole) => out.push_str(&fill(hole)),
    }) {
        Ok(()) => out,
        Err(_) => text.to_string(),
    }
}

/// An amount in minor units, written for a shopper (see the module docs).
#[must_use]
pub fn money(minor: u64, currency: &str, digits: u8) -> String {
    let scale = (0..digits).fold(1u64, |s, _| s.saturating_mul(10));
    let (major, fraction) = (minor / scale, minor % scale);
    let mut number = crate::limits::with_commas(major);
    if fraction != 0 {
        number.push('.');
        number.push_str(&format!("{fraction:0width$}", width = usize::from(digits)));
    }
    match currency_symbol(currency) {
        Some(symbol) => format!("{symbol}{number}"),
        None => format!("{currency} {number}"),
    }
}

/// The symbol written before amounts of a currency, for the currencies that have one in
/// common use without a country prefix.
fn currency_symbol(currency: &str) -> Option<&'static str> {
    Some(match currency {
        "USD" => "$",
        "EUR" => "€",
        "GBP" => "£",
        "JPY" => "¥",
        "INR" => "₹",
        "KRW" => "₩",
        "BRL" => "R$",
        "CAD" => "CA$",
        "AUD" => "A$",
        "NZD" => "NZ$",
        "MXN" => "MX$",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fill(p: Placeholder) -> String {
        format!("<{}>", p.name())
    }

    #[test]
    fn placeholders_are_filled_and_braces_escaped() {
        assert_eq!(
            render("All {missing} for {final_price} ({{really}})", fill),
            "All <missing> for <final_price> ({really})"
        );
        assert_eq!(render("no braces", fill), "no braces");
        for p in Placeholder::ALL {
            assert_eq!(render(&format!("{{{}}}", p.name()), fill), fill(*p));
        }
    }

    #[test]
    fn malformed_templates_are_errors_with_their_offset() {
        assert_eq!(
            check("for {prize} now"),
            Err(TemplateError::Unknown {
                at: 4,
                name: "prize".into()
            })
        );
        assert_eq!(
            check("a {{ b {price"),
            Err(TemplateError::Unclosed { at: 7 })
        );
        assert_eq!(check("a } b"), Err(TemplateError::StrayClose { at: 2 }));
        assert_eq!(check("ok {price} {{}}"), Ok(()));
        // The engine shows what it cannot read as it is.
        assert_eq!(render("for {prize}", fill), "for {prize}");
    }

    #[test]
    fn money_is_written_alike_on_every_host() {
        assert_eq!(money(4_900, "USD", 2), "$49");
        assert_eq!(money(4_950, "USD", 2), "$49.50");
        assert_eq!(money(4_905, "EUR", 2), "€49.05");
        assert_eq!(money(129_900, "GBP", 2), "£1,299");
        assert_eq!(money(1_234_567, "JPY", 0), "¥1,234,567");
        assert_eq!(money(4_900, "CHF", 2), "CHF 49");
        assert_eq!(money(0, "USD", 2), "$0");
        assert_eq!(money(u64::MAX, "KWD", 3), "KWD 18,446,744,073,709,551.615");
    }
}
