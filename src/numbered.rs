//! Names numbered densely in the order they first appear, found by hash: the compiler's
//! categories and families, and training's item ids. (With a linear search instead, a catalog
//! of tens of thousands of items compiled in quadratic time.)

use std::collections::HashMap;

/// Names and their dense numbers.
#[derive(Debug, Clone, Default)]
pub struct Numbered {
    names: Vec<String>,
    numbers: HashMap<String, u32>,
}

impl Numbered {
    /// The number of `name`, adding it when new.
    pub fn intern(&mut self, name: &str) -> u32 {
        if let Some(&number) = self.numbers.get(name) {
            return number;
        }
        let number = self.names.len() as u32;
        self.names.push(name.to_owned());
        self.numbers.insert(name.to_owned(), number);
        number
    }

    /// The number of `name`, if known.
    #[cfg(feature = "train")]
    pub fn get(&self, name: &str) -> Option<u32> {
        self.numbers.get(name).copied()
    }

    /// The name numbered `number` (empty when there is none).
    #[cfg(feature = "train")]
    pub fn name(&self, number: u32) -> &str {
        self.names.get(number as usize).map_or("", String::as_str)
    }

    /// How many names.
    #[cfg(feature = "train")]
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether there are none.
    #[cfg(feature = "train")]
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The names, in number order.
    pub fn into_names(self) -> Vec<String> {
        self.names
    }
}
