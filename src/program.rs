//! Conditions as the engine runs them: a flat postfix program over a small value stack.
//!
//! The compiler parses CEL and lowers it into this form; the engine carries no parser. The form
//! is flat on purpose: decoding a recursive tree from untrusted bytes can exhaust the stack, a
//! flat list cannot, and [`validate`] proves before any run that every index is in
//! range and the stack never exceeds [`MAX_STACK`]. There are no jumps, so a program runs each
//! op once: evaluation is total and bounded by [`MAX_OPS`].
//!
//! Values are numbers (CEL's ints and doubles alike, as `f64`), strings and booleans. An
//! operation on values of the wrong type gives `false` (comparisons) or NaN (arithmetic) rather
//! than an error; the compiler type-checks conditions, so this only matters for hand-made bytes.

#[cfg(feature = "internals")]
use serde::Deserialize;
use serde::Serialize;

use crate::vocab::{Stage, Surface};

/// The deepest a program's stack may grow.
pub const MAX_STACK: usize = 16;
/// The most ops in one program.
pub const MAX_OPS: usize = 256;
/// The most constants (and constant lists) in one program.
pub const MAX_CONSTS: usize = 256;

/// A compiled condition.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[cfg_attr(feature = "internals", derive(Deserialize))]
pub struct Program {
    /// The ops, in postfix order.
    pub ops: Vec<Op>,
    /// Constants that [`Op::Const`] pushes.
    pub consts: Vec<Const>,
    /// Constant lists that [`Op::InList`] tests membership in.
    pub lists: Vec<Vec<Const>>,
}

/// A constant.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "internals", derive(Deserialize))]
pub enum Const {
    /// A number.
    Num(f64),
    /// A string.
    Text(String),
    /// A boolean.
    Flag(bool),
}

/// One step of a program.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "internals", derive(Deserialize))]
pub enum Op {
    /// Push a constant.
    Const(u16),
    /// Push a declared fact.
    Fact(u32),
    /// Push how many times a signal occurred.
    Signal(u32),
    /// Push the cart's value in major units.
    CartValue,
    /// Push the number of items in the cart.
    CartSize,
    /// Push the number of items owned.
    OwnedCount,
    /// Push the number of items viewed.
    ViewedCount,
    /// Push the readiness score.
    Readiness,
    /// Push the risk score.
    Risk,
    /// Push the price-sensitivity score.
    PriceSensitivity,
    /// Push the lifecycle stage's name.
    Stage,
    /// Push the surface's name.
    Surface,
    /// Push whether an item is in the cart.
    InCart(u32),
    /// Push whether an item is owned.
    Owns(u32),
    /// Push whether an item was viewed.
    Viewed(u32),
    /// Pop b, a; push a == b.
    Eq,
    /// Pop b, a; push a != b.
    Ne,
    /// Pop b, a; push a < b.
    Lt,
    /// Pop b, a; push a <= b.
    Le,
    /// Pop b, a; push a > b.
    Gt,
    /// Pop b, a; push a >= b.
    Ge,
    /// Pop b, a; push a + b.
    Add,
    /// Pop b, a; push a - b.
    Sub,
    /// Pop b, a; push a * b.
    Mul,
    /// Pop b, a; push a / b.
    Div,
    /// Pop a; push -a.
    Neg,
    /// Pop a; push !a.
    Not,
    /// Pop b, a; push a && b.
    And,
    /// Pop b, a; push a || b.
    Or,
    /// Pop a; push whether a is in a constant list.
    InList(u16),
}

/// A value on the stack.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    /// A number.
    Num(f64),
    /// A string.
    Text(&'a str),
    /// A boolean.
    Flag(bool),
}

impl<'a> Value<'a> {
    fn of(constant: &'a Const) -> Self {
        match constant {
            Const::Num(n) => Value::Num(*n),
            Const::Text(s) => Value::Text(s),
            Const::Flag(b) => Value::Flag(*b),
        }
    }

    fn truthy(self) -> bool {
        matches!(self, Value::Flag(true))
    }

    fn num(self) -> f64 {
        match self {
            Value::Num(n) => n,
            _ => f64::NAN,
        }
    }

    fn same(self, other: Value<'_>) -> bool {
        match (self, other) {
            (Value::Num(a), Value::Num(b)) => a == b,
            (Value::Text(a), Value::Text(b)) => a == b,
            (Value::Flag(a), Value::Flag(b)) => a == b,
            _ => false,
        }
    }

    fn order(self, other: Value<'_>) -> Option<core::cmp::Ordering> {
        match (self, other) {
            (Value::Num(a), Value::Num(b)) => a.partial_cmp(&b),
            (Value::Text(a), Value::Text(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }
}

/// What a program reads about the shopper and the moment.
pub trait Env {
    /// A declared fact (its default when the context does not give it).
    fn fact(&self, index: u32) -> Value<'_>;
    /// How many times a signal occurred.
    fn signal(&self, index: u32) -> f64;
    /// Cart value in major units.
    fn cart_value(&self) -> f64;
    /// Items in the cart.
    fn cart_size(&self) -> usize;
    /// Items owned.
    fn owned_count(&self) -> usize;
    /// Items viewed.
    fn viewed_count(&self) -> usize;
    /// Whether an item is in the cart.
    fn in_cart(&self, item: u32) -> bool;
    /// Whether an item is owned.
    fn owns(&self, item: u32) -> bool;
    /// Whether an item was viewed.
    fn viewed(&self, item: u32) -> bool;
    /// The readiness score.
    fn readiness(&self) -> f64;
    /// The risk score.
    fn risk(&self) -> f64;
    /// The price-sensitivity score.
    fn price_sensitivity(&self) -> f64;
    /// The lifecycle stage.
    fn stage(&self) -> Stage;
    /// The surface.
    fn surface(&self) -> Surface;
}

/// How many facts, signals and items a program may refer to.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    /// Declared facts.
    pub facts: usize,
    /// Interned signals.
    pub signals: usize,
    /// Catalog items.
    pub items: usize,
}

/// Why a program was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProgramError {
    /// More than [`MAX_OPS`] ops, or more than [`MAX_CONSTS`] constants, or no ops.
    Size,
    /// An op at this position names a constant, list, fact, signal or item out of range.
    Index(usize),
    /// The op at this position pops from an empty stack or pushes past [`MAX_STACK`].
    Stack(usize),
    /// The program does not leave exactly one value.
    Result,
}

/// A program's ops, constants and constant lists, wherever they are held: a [`Program`] holds
/// its own; a loaded snapshot's programs are runs of its tables (`snapshot::wire::Tables`),
/// which spares a large store's load two allocations a program.
pub trait Code {
    /// The ops, in postfix order.
    fn ops(&self) -> &[Op];
    /// The constants [`Op::Const`] pushes.
    fn consts(&self) -> &[Const];
    /// How many constant lists there are.
    fn list_count(&self) -> usize;
    /// The constant list [`Op::InList`] tests membership in.
    fn list(&self, index: usize) -> Option<&[Const]>;
}

impl Code for Program {
    fn ops(&self) -> &[Op] {
        &self.ops
    }

    fn consts(&self) -> &[Const] {
        &self.consts
    }

    fn list_count(&self) -> usize {
        self.lists.len()
    }

    fn list(&self, index: usize) -> Option<&[Const]> {
        self.lists.get(index).map(Vec::as_slice)
    }
}

/// Proves `code` safe to run against an environment of `bounds`.
///
/// # Errors
/// Returns what is wrong with the first op that is wrong.
pub fn validate(code: &impl Code, bounds: Bounds) -> Result<(), ProgramError> {
    let (ops, consts, lists) = (code.ops(), code.consts(), code.list_count());
    if ops.is_empty()
        || ops.len() > MAX_OPS
        || consts.len() > MAX_CONSTS
        || lists > MAX_CONSTS
        || (0..lists).any(|i| code.list(i).is_some_and(|l| l.len() > MAX_CONSTS))
    {
        return Err(ProgramError::Size);
    }
    let mut depth: usize = 0;
    for (at, op) in ops.iter().enumerate() {
        let in_range = match *op {
            Op::Const(i) => usize::from(i) < consts.len(),
            Op::InList(i) => usize::from(i) < lists,
            Op::Fact(i) => (i as usize) < bounds.facts,
            Op::Signal(i) => (i as usize) < bounds.signals,
            Op::InCart(i) | Op::Owns(i) | Op::Viewed(i) => (i as usize) < bounds.items,
            _ => true,
        };
        if !in_range {
            return Err(ProgramError::Index(at));
        }
        let (pops, pushes) = op.arity();
        depth = depth.checked_sub(pops).ok_or(ProgramError::Stack(at))? + pushes;
        if depth > MAX_STACK {
            return Err(ProgramError::Stack(at));
        }
    }
    if depth == 1 {
        Ok(())
    } else {
        Err(ProgramError::Result)
    }
}

/// Runs `code`. Call only on code that passed [`validate`] for this environment; on any other
/// it still returns (false) rather than panicking.
pub fn eval(code: &impl Code, env: &dyn Env) -> bool {
    let (ops, consts) = (code.ops(), code.consts());
    let mut stack = [Value::Flag(false); MAX_STACK];
    let mut len = 0usize;
    for op in ops {
        let (pops, _) = op.arity();
        if len < pops {
            return false;
        }
        let a = if pops == 2 {
            stack.get(len - 2).copied()
        } else {
            stack.get(len.wrapping_sub(1)).copied()
        };
        let b = stack.get(len.wrapping_sub(1)).copied();
        len -= pops;
        let value = match *op {
            Op::Const(i) => match consts.get(usize::from(i)) {
                Some(c) => Value::of(c),
                None => return false,
            },
            Op::Fact(i) => env.fact(i),
            Op::Signal(i) => Value::Num(env.signal(i)),
            Op::CartValue => Value::Num(env.cart_value()),
            Op::CartSize => Value::Num(env.cart_size() as f64),
            Op::OwnedCount => Value::Num(env.owned_count() as f64),
            Op::ViewedCount => Value::Num(env.viewed_count() as f64),
            Op::Readiness => Value::Num(env.readiness()),
            Op::Risk => Value::Num(env.risk()),
            Op::PriceSensitivity => Value::Num(env.price_sensitivity()),
            Op::Stage => Value::Text(env.stage().as_str()),
            Op::Surface => Value::Text(env.surface().as_str()),
            Op::InCart(i) => Value::Flag(env.in_cart(i)),
            Op::Owns(i) => Value::Flag(env.owns(i)),
            Op::Viewed(i) => Value::Flag(env.viewed(i)),
            _ => {
                let (Some(a), Some(b)) = (a, b) else {
                    return false;
                };
                apply(*op, a, b, code)
            }
        };
        match stack.get_mut(len) {
            Some(slot) => *slot = value,
            None => return false,
        }
        len += 1;
    }
    len == 1 && stack.first().is_some_and(|v| v.truthy())
}

/// Applies an operator to its operands (`a` is the only operand of a unary op).
fn apply<'a>(op: Op, a: Value<'a>, b: Value<'a>, code: &'a impl Code) -> Value<'a> {
    use core::cmp::Ordering::{Equal, Greater, Less};
    let ordered =
        |want: &[core::cmp::Ordering]| Value::Flag(a.order(b).is_some_and(|o| want.contains(&o)));
    match op {
        Op::Eq => Value::Flag(a.same(b)),
        Op::Ne => Value::Flag(!a.same(b)),
        Op::Lt => ordered(&[Less]),
        Op::Le => ordered(&[Less, Equal]),
        Op::Gt => ordered(&[Greater]),
        Op::Ge => ordered(&[Greater, Equal]),
        Op::Add => Value::Num(a.num() + b.num()),
        Op::Sub => Value::Num(a.num() - b.num()),
        Op::Mul => Value::Num(a.num() * b.num()),
        Op::Div => Value::Num(a.num() / b.num()),
        Op::Neg => Value::Num(-a.num()),
        Op::Not => Value::Flag(matches!(a, Value::Flag(false))),
        Op::And => Value::Flag(a.truthy() && b.truthy()),
        Op::Or => Value::Flag(a.truthy() || b.truthy()),
        Op::InList(i) => Value::Flag(
            code.list(usize::from(i))
                .is_some_and(|list| list.iter().any(|c| a.same(Value::of(c)))),
        ),
        _ => Value::Flag(false),
    }
}

impl Op {
    /// How many values the op pops and pushes.
    pub const fn arity(self) -> (usize, usize) {
        match self {
            Op::Eq
            | Op::Ne
            | Op::Lt
            | Op::Le
            | Op::Gt
            | Op::Ge
            | Op::Add
            | Op::Sub
            | Op::Mul
            | Op::Div
            | Op::And
            | Op::Or => (2, 1),
            Op::Neg | Op::Not | Op::InList(_) => (1, 1),
            _ => (0, 1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Shopper;
    impl Env for Shopper {
        fn fact(&self, index: u32) -> Value<'_> {
            if index == 0 {
                Value::Num(2.0)
            } else {
                Value::Text("youtube")
            }
        }
        fn signal(&self, _: u32) -> f64 {
            3.0
        }
        fn cart_value(&self) -> f64 {
            120.0
        }
        fn cart_size(&self) -> usize {
            2
        }
        fn owned_count(&self) -> usize {
            1
        }
        fn viewed_count(&self) -> usize {
            0
        }
        fn in_cart(&self, item: u32) -> bool {
            item == 7
        }
        fn owns(&self, _: u32) -> bool {
            false
        }
        fn viewed(&self, _: u32) -> bool {
            false
        }
        fn readiness(&self) -> f64 {
            0.5
        }
        fn risk(&self) -> f64 {
            0.1
        }
        fn price_sensitivity(&self) -> f64 {
            0.9
        }
        fn stage(&self) -> Stage {
            Stage::RepeatUse
        }
        fn surface(&self) -> Surface {
            Surface::Checkout
        }
    }

    const BOUNDS: Bounds = Bounds {
        facts: 2,
        signals: 1,
        items: 10,
    };

    fn run(ops: Vec<Op>, consts: Vec<Const>) -> bool {
        let p = Program {
            ops,
            consts,
            lists: vec![vec![
                Const::Text("newsletter".into()),
                Const::Text("youtube".into()),
            ]],
        };
        assert_eq!(validate(&p, BOUNDS), Ok(()));
        eval(&p, &Shopper)
    }

    #[test]
    fn compares_and_combines() {
        // facts.orders >= 2 && cart_value - 20 > 99
        let ops = vec![
            Op::Fact(0),
            Op::Const(0),
            Op::Ge,
            Op::CartValue,
            Op::Const(1),
            Op::Sub,
            Op::Const(2),
            Op::Gt,
            Op::And,
        ];
        assert!(run(
            ops,
            vec![Const::Num(2.0), Const::Num(20.0), Const::Num(99.0)]
        ));
        assert!(run(vec![Op::Fact(1), Op::InList(0)], vec![]));
        assert!(run(
            vec![Op::Stage, Op::Const(0), Op::Eq],
            vec![Const::Text("repeat_use".into())]
        ));
        assert!(!run(vec![Op::InCart(3)], vec![]));
        assert!(run(
            vec![Op::InCart(3), Op::Not, Op::InCart(7), Op::And],
            vec![]
        ));
    }

    #[test]
    fn wrong_types_are_false_not_errors() {
        assert!(!run(
            vec![Op::Fact(1), Op::Const(0), Op::Lt],
            vec![Const::Num(1.0)]
        ));
        assert!(!run(
            vec![Op::Fact(1), Op::Const(0), Op::Add, Op::Const(0), Op::Eq],
            vec![Const::Num(1.0)]
        ));
    }

    #[test]
    fn validation_refuses_bad_programs() {
        let p = |ops: Vec<Op>| Program {
            ops,
            consts: vec![Const::Num(1.0)],
            lists: vec![],
        };
        assert_eq!(validate(&p(vec![]), BOUNDS), Err(ProgramError::Size));
        assert_eq!(
            validate(&p(vec![Op::And]), BOUNDS),
            Err(ProgramError::Stack(0))
        );
        assert_eq!(
            validate(&p(vec![Op::Const(1)]), BOUNDS),
            Err(ProgramError::Index(0))
        );
        assert_eq!(
            validate(&p(vec![Op::InCart(10)]), BOUNDS),
            Err(ProgramError::Index(0))
        );
        assert_eq!(
            validate(&p(vec![Op::CartSize, Op::CartSize]), BOUNDS),
            Err(ProgramError::Result)
        );
        assert_eq!(
            validate(&p(vec![Op::CartSize; MAX_STACK + 1]), BOUNDS),
            Err(ProgramError::Stack(MAX_STACK))
        );
        // An unvalidated bad program still returns instead of panicking.
        assert!(!eval(&p(vec![Op::And, Op::InList(9)]), &Shopper));
    }
}
