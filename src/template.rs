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
//! Money is written as the embed's card writes the price beside the copy: the currency's
//! symbol or code before the amount where the card's table has one (`$49.00`, `€12.50`,
//! `£1,299.00`, `CHF 49.00`), its code after otherwise (`1,234,567 KRW`); thousands grouped by
//! commas and always the currency's minor digits.
//! It is the same on every host, unlike a locale's formatting, so decisions stay identical
//! everywhere.

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
        /// Bytes from the `{` to the `}`, both included.
        length: usize,
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

/// Reads `text` piece by piece, or says where it is malformed. Every slice is taken with `get`
/// at an ASCII brace (always a char boundary): slicing with `[]` would bring the standard
/// library's slice-error formatting into the WebAssembly module, about 4 KB.
fn scan<'a>(text: &'a str, piece: &mut dyn FnMut(Piece<'a>)) -> Result<(), TemplateError> {
    let bytes = text.as_bytes();
    let (mut pending, mut from) = (0, 0);
    while let Some(brace_at) = text.get(from..).and_then(next_brace).map(|i| from + i) {
        let brace = bytes.get(brace_at).copied();
        piece(Piece::Text(text.get(pending..brace_at).unwrap_or_default()));
        if bytes.get(brace_at + 1).copied() == brace {
            // `{{` or `}}`: one literal brace.
            piece(Piece::Text(
                text.get(brace_at..=brace_at).unwrap_or_default(),
            ));
            from = brace_at + 2;
        } else if brace == Some(b'}') {
            return Err(TemplateError::StrayClose { at: brace_at });
        } else {
            let close = (bytes.get(brace_at..))
                .and_then(|rest| rest.iter().position(|&b| b == b'}'))
                .map(|i| brace_at + i)
                .ok_or(TemplateError::Unclosed { at: brace_at })?;
            let name = text.get(brace_at + 1..close).unwrap_or_default();
            let hole = Placeholder::parse(name).ok_or(TemplateError::Unknown {
                at: brace_at,
                length: close + 1 - brace_at,
            })?;
            piece(Piece::Hole(hole));
            from = close + 1;
        }
        pending = from;
    }
    piece(Piece::Text(text.get(pending..).unwrap_or_default()));
    Ok(())
}

/// The offset of the first brace. Bytes rather than `str::find` with a set of chars, whose
/// searcher costs the WebAssembly module more than this whole file.
fn next_brace(text: &str) -> Option<usize> {
    text.bytes().position(|b| b == b'{' || b == b'}')
}

/// Checks a template as the compiler does.
///
/// # Errors
/// The first [`TemplateError`] in `text`.
#[cfg(any(feature = "compiler", test))]
pub fn check(text: &str) -> Result<(), TemplateError> {
    scan(text, &mut |_| {})
}

/// Fills in a template; text with no brace is returned as it is, and so is a malformed one.
/// `fill` is a trait object so that every caller shares one copy of this in the module.
#[must_use]
pub fn render(text: &str, fill: &dyn Fn(Placeholder) -> String) -> String {
    if next_brace(text).is_none() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 16);
    match scan(text, &mut |piece| match piece {
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
    // `scale` is at least 1; `checked_*` only spares the module a division-by-zero panic.
    let major = minor.checked_div(scale).unwrap_or(minor);
    let fraction = minor.checked_rem(scale).unwrap_or(0);
    let mut number = crate::limits::with_commas(major);
    if digits > 0 {
        let fraction = fraction.to_string();
        number.push('.');
        (fraction.len()..usize::from(digits)).for_each(|_| number.push('0'));
        number.push_str(&fraction);
    }
    match currency_prefix(currency) {
        Some(prefix) => format!("{prefix}{number}"),
        None => format!("{number} {currency}"),
    }
}

/// What is written before amounts of a currency; other currencies write their code after.
/// The same table as the embed's `formatMoney` (pkg-config/embed/card.js), which writes the
/// price beside this copy: keep the two in step.
fn currency_prefix(currency: &str) -> Option<&'static str> {
    Some(match currency {
        "USD" => "$",
        "EUR" => "€",
        "GBP" => "£",
        "JPY" => "¥",
        "CAD" => "CA$",
        "AUD" => "A$",
        "NZD" => "NZ$",
        "INR" => "₹",
        "BRL" => "R$",
        "CHF" => "CHF ",
        "SEK" => "SEK ",
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
            render("All {missing} for {final_price} ({{really}})", &fill),
            "All <missing> for <final_price> ({really})"
        );
        assert_eq!(render("no braces", &fill), "no braces");
        for p in Placeholder::ALL {
            assert_eq!(render(&format!("{{{}}}", p.name()), &fill), fill(*p));
        }
    }

    #[test]
    fn malformed_templates_are_errors_with_their_offset() {
        assert_eq!(
            check("for {prize} now"),
            Err(TemplateError::Unknown { at: 4, length: 7 })
        );
        assert_eq!(
            check("a {{ b {price"),
            Err(TemplateError::Unclosed { at: 7 })
        );
        assert_eq!(check("a } b"), Err(TemplateError::StrayClose { at: 2 }));
        assert_eq!(check("ok {price} {{}}"), Ok(()));
        // The engine shows what it cannot read as it is.
        assert_eq!(render("for {prize}", &fill), "for {prize}");
    }

    /// The copy and the card's price beside it are written from one table in two languages:
    /// this reads the embed's (`const SYMBOLS = { USD: "$", ... };`) and compares.
    #[test]
    fn the_prefixes_are_the_embeds() {
        let card = include_str!("../pkg-config/embed/card.js");
        let table = card
            .lines()
            .find_map(|l| l.strip_prefix("const SYMBOLS = { "))
            .and_then(|l| l.strip_suffix(" };"))
            .expect("card.js has its SYMBOLS table on one line");
        let entries: Vec<(&str, &str)> = table
            .split(", ")
            .filter_map(|entry| entry.split_once(": "))
            .map(|(code, symbol)| (code, symbol.trim_matches('"')))
            .collect();
        assert!(entries.len() >= 10, "{entries:?}");
        for &(code, symbol) in &entries {
            assert_eq!(currency_prefix(code), Some(symbol), "{code}");
        }
        for code in [
            "USD", "EUR", "GBP", "JPY", "CAD", "AUD", "NZD", "INR", "BRL", "CHF", "SEK", "MXN",
            "KRW", "XYZ",
        ] {
            let in_card = entries.iter().find(|(c, _)| *c == code).map(|&(_, s)| s);
            assert_eq!(currency_prefix(code), in_card, "{code}");
        }
    }

    #[test]
    fn money_is_written_alike_on_every_host() {
        assert_eq!(money(4_900, "USD", 2), "$49.00");
        assert_eq!(money(4_950, "USD", 2), "$49.50");
        assert_eq!(money(4_905, "EUR", 2), "€49.05");
        assert_eq!(money(129_900, "GBP", 2), "£1,299.00");
        assert_eq!(money(1_234_567, "JPY", 0), "¥1,234,567");
        assert_eq!(money(4_900, "CHF", 2), "CHF 49.00");
        assert_eq!(money(0, "USD", 2), "$0.00");
        assert_eq!(money(u64::MAX, "KWD", 3), "18,446,744,073,709,551.615 KWD");
        assert_eq!(money(1_234_567, "KRW", 0), "1,234,567 KRW");
    }
}
