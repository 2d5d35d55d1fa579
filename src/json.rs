//! JSON in, with the path of the first wrong field (feature `json`).
//!
//! Contexts and events arrive as JSON text on every host: the CLI reads files, and the
//! WebAssembly build turns the JS value into text with `JSON.stringify`. `serde_json` reports
//! where it stopped as a line and column; [`path_at`] turns that place back into a field path
//! (`events[0].labl`) by walking the text up to it. That is what `serde_path_to_error` gives,
//! without wrapping every deserializer call a second time, which cost the WebAssembly module
//! about 28 KB. `serde_json` stops right after the key or value it refused (a struct's missing
//! field is reported at its closing brace), so the path is that of the innermost key or array
//! element open or just finished at that place.

use serde::de::DeserializeOwned;

/// Why JSON text was refused.
#[derive(Debug)]
pub(crate) struct JsonError {
    /// The field, as `events[0].name`; empty for the whole document.
    pub path: String,
    /// `serde_json`'s message, with its line and column.
    pub message: String,
}

/// Parses `text` as one `T`, naming the path of the first wrong field.
pub(crate) fn parse<T: DeserializeOwned>(text: &str) -> Result<T, JsonError> {
    serde_json::from_str(text).map_err(|e| {
        let offset = offset_of(text, e.line(), e.column());
        JsonError {
            path: path_at(text, offset),
            message: e.to_string(),
        }
    })
}

/// The byte offset of a 1-based line and a column counted in bytes, as `serde_json` reports.
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let line_start = if line <= 1 {
        0
    } else {
        text.match_indices('\n')
            .nth(line - 2)
            .map_or(text.len(), |(at, _)| at + 1)
    };
    (line_start + column).min(text.len())
}

/// One open container while walking the text.
enum Open {
    /// An object, with the key whose value comes (or came) last, and whether a key is next.
    Object { key: Option<String>, key_next: bool },
    /// An array, with the index of the current element.
    Array(usize),
}

/// The path of the field at `offset` in `text`: every open container's current key or index.
fn path_at(text: &str, offset: usize) -> String {
    let mut open: Vec<Open> = Vec::new();
    let mut bytes = text.as_bytes().get(..offset).unwrap_or_default().iter();
    while let Some(&byte) = bytes.next() {
        match byte {
            b'{' => open.push(Open::Object {
                key: None,
                key_next: true,
            }),
            b'[' => open.push(Open::Array(0)),
            // A container that ended before the offset leaves its parent's key or index current.
            b'}' | b']' => {
                open.pop();
            }
            b',' => match open.last_mut() {
                Some(Open::Object { key, key_next }) => {
                    *key = None;
                    *key_next = true;
                }
                Some(Open::Array(index)) => *index += 1,
                None => {}
            },
            b'"' => {
                let mut string = Vec::new();
                while let Some(&b) = bytes.next() {
                    match b {
                        b'"' => break,
                        b'\\' => {
                            string.push(b);
                            string.extend(bytes.next());
                        }
                        _ => string.push(b),
                    }
                }
                if let Some(Open::Object { key, key_next }) = open.last_mut() {
                    if *key_next {
                        *key = Some(String::from_utf8_lossy(&string).into_owned());
                        *key_next = false;
                    }
                }
            }
            _ => {}
        }
    }
    let mut path = String::new();
    for container in &open {
        match container {
            Open::Object { key: Some(key), .. } => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
            }
            Open::Object { key: None, .. } => break,
            Open::Array(index) => {
                path.push('[');
                path.push_str(&index.to_string());
                path.push(']');
            }
        }
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_key_or_element_at_the_offset() {
        let text = r#"{"a":1,"events":[{"name":"x"},{"labl":"y"}],"facts":{"n":[1]}}"#;
        let at = |needle: &str| text.find(needle).map(|i| i + needle.len()).unwrap_or(0);
        assert_eq!(path_at(text, at(r#""a""#)), "a");
        assert_eq!(path_at(text, at(r#""a":1"#)), "a");
        assert_eq!(path_at(text, at(r#""name":"x""#)), "events[0].name");
        assert_eq!(path_at(text, at(r#""name":"x"}"#)), "events[0]");
        assert_eq!(path_at(text, at(r#""labl""#)), "events[1].labl");
        assert_eq!(path_at(text, at(r#""n":[1]"#)), "facts.n");
        assert_eq!(path_at(text, at(r#""n":[1"#)), "facts.n[0]");
        assert_eq!(path_at(text, text.len()), "");
        assert_eq!(path_at(r#"{"a\"b":1"#, 9), r#"a\"b"#);
    }

    #[test]
    fn finds_offsets_on_later_lines() {
        let text = "{\n  \"a\": 1,\n  \"b\": true\n}";
        assert_eq!(
            offset_of(text, 3, 5),
            text.find("\"b\"").map_or(0, |i| i + 3)
        );
        assert_eq!(path_at(text, offset_of(text, 3, 5)), "b");
    }
}
