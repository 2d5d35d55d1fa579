//! The JavaScript face: the only file that names `wasm_bindgen`.
//!
//! Everything here is a thin translation. What crosses the boundary, and how:
//!
//! - Contexts and events come in as JS values (or JSON text), made into text with
//!   `JSON.stringify` (by the glue itself for `decide`, where a call from here went through a
//!   wrapper that cost more than the call) and read by the same reader the CLI uses
//!   (`crate::json`), which refuses an unknown field and names its path; a wrong field has the
//!   same path on every host. (`serde_wasm_bindgen` visits only a struct's known fields, so it
//!   could not refuse one.)
//! - A decision leaves two ways. `decideJson` gives the JSON text the CLI prints, made by the
//!   same writer, so the browser, the edge and the CLI give the same bytes. `decide` (the
//!   glue's, `pkg-config/decision.js`) builds the same object from the decision's
//!   [tape](tape): its numbers, which the glue reads where they lie in the module's memory,
//!   and its strings in one string, so no text is written, decoded and parsed again (see
//!   `tape`'s docs for what that saved). The words come with `{ copy: true }` (the shown
//!   offers') or from `explain`.
//! - What is asked for rarely and is mostly text (an explanation, the snapshot summary) leaves
//!   as JSON text, which the glue's `explain` and `info` parse. The summary went through
//!   `serde_wasm_bindgen` until 0.4.5: that crate's serializer was 2.4 KB of the gzipped
//!   module for one flat struct, so the module no longer carries it.
//!
//! Failures cross as real `Error` objects whose `name` is `SnapshotError`, `ContextError` or
//! `MemoryError`, whose `code` is the stable code the CLI prints, and, for contexts and events,
//! whose `path` names the field; nothing is thrown as a string and no input traps the module.

use js_sys::{ArrayBuffer, Error, JSON, Reflect, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

mod tape;

use crate::{
    Context, ContextError, Decided, Memory, MemoryError, MemoryEvent, Snapshot, SnapshotError,
};

#[wasm_bindgen(start)]
fn start() {
    console_error_panic_hook::set_once();
}

/// Builds a JS `Error` with a `name`, a stable `code` and, when known, the `path` of the field.
fn js_error(name: &str, code: &str, message: &str, path: Option<&str>) -> JsValue {
    let error = Error::new(message);
    error.set_name(name);
    // Setting a property on a fresh Error object cannot fail.
    let _ = Reflect::set(&error, &"code".into(), &code.into());
    if let Some(path) = path {
        let _ = Reflect::set(&error, &"path".into(), &path.into());
    }
    error.into()
}

fn snapshot_error(e: &SnapshotError) -> JsValue {
    js_error("SnapshotError", e.code(), &e.to_string(), None)
}

fn context_error(e: &ContextError) -> JsValue {
    js_error("ContextError", e.code(), &e.to_string(), Some(e.path()))
}

fn memory_error(e: &MemoryError) -> JsValue {
    let path = match e {
        MemoryError::BadEvent { field, .. } => Some(field.as_str()),
        _ => None,
    };
    js_error("MemoryError", e.code(), &e.to_string(), path)
}

/// JSON text for a JS value: a string is taken as JSON text already, anything else goes
/// through `JSON.stringify`. What has no JSON text (`undefined`, a function, a `BigInt`, an
/// object that contains itself) is refused with a sentence naming it as `what` (the reader's
/// own error, `EOF while parsing a value`, would not say what the host did wrong).
fn json_text(value: &JsValue, what: &str) -> Result<String, String> {
    if let Some(text) = value.as_string() {
        return Ok(text);
    }
    let give = "give it as a plain object, or as its JSON text";
    if value.is_undefined() {
        return Err(format!("no {what} was given (undefined): {give}"));
    }
    // `JSON.stringify` throws on a `BigInt` or a cycle, and gives `undefined` for a function.
    (JSON::stringify(value).ok().and_then(|text| text.as_string())).ok_or_else(|| {
        format!(
            "the {what} has no JSON form (it holds a BigInt, contains itself, or is a function): {give}"
        )
    })
}

fn read_context(value: &JsValue) -> Result<Context, JsValue> {
    let text = json_text(value, "context").map_err(|detail| {
        context_error(&ContextError::Json {
            path: String::new(),
            detail,
        })
    })?;
    Context::from_json(&text).map_err(|e| context_error(&e))
}

#[wasm_bindgen]
extern "C" {
    /// `decide`'s options, read a property at a time by the glue (`options.copy`): a
    /// `Reflect.get` from here would first copy each property's name into a JS string, which
    /// was 1.8 µs of a 37 µs decision. A getter that throws reads as `false`, as before.
    type OptionsObject;
    #[wasm_bindgen(method, getter, catch, js_name = recordImpressions)]
    fn record_impressions(this: &OptionsObject) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, getter, catch)]
    fn copy(this: &OptionsObject) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, getter, catch, js_name = decisionRecord)]
    fn decision_record(this: &OptionsObject) -> Result<JsValue, JsValue>;
}

/// A loaded snapshot, ready to decide.
#[wasm_bindgen]
pub struct Engine {
    snapshot: Snapshot,
    /// The latest decision's tape, its buffers kept from one decision to the next.
    tape: core::cell::RefCell<tape::Tape>,
}

#[wasm_bindgen]
impl Engine {
    /// Loads a snapshot from its bytes: a `Uint8Array` (a Node `Buffer` is one) or the
    /// `ArrayBuffer` that `fetch(...).arrayBuffer()` gives. Anything else is refused with
    /// `snapshot.not_bytes`, rather than read as an empty snapshot.
    ///
    /// # Errors
    /// A `SnapshotError` naming what is wrong with the bytes.
    #[wasm_bindgen(js_name = fromBytes)]
    pub fn from_bytes(bytes: &JsValue) -> Result<Engine, JsValue> {
        let bytes = if let Some(array) = bytes.dyn_ref::<Uint8Array>() {
            array.to_vec()
        } else if bytes.is_instance_of::<ArrayBuffer>() {
            Uint8Array::new(bytes).to_vec()
        } else {
            let message = "a snapshot is given as a Uint8Array or an ArrayBuffer of its bytes";
            return Err(js_error(
                "SnapshotError",
                "snapshot.not_bytes",
                message,
                None,
            ));
        };
        Snapshot::from_vec(bytes)
            .map(|snapshot| Engine {
                snapshot,
                tape: core::cell::RefCell::default(),
            })
            .map_err(|e| snapshot_error(&e))
    }

    /// The snapshot's id, versions and counts, as JSON text (the glue's `info` parses it).
    //
    // A summary asked for rarely, made by the writer every decision already uses rather than
    // by a serializer of its own (see the module's docs).
    #[wasm_bindgen(js_name = infoJson)]
    pub fn info_json(&self) -> String {
        crate::json::to_json(&self.snapshot.info())
    }

    /// For the glue's `decide`: the decision's words (its numbers at `tapeAt`).
    ///
    /// # Errors
    /// A `ContextError` naming the field of the context that is wrong.
    //
    // The docs of what the glue calls are copied into the glue every page downloads, so they
    // stay short; what `decide` returns is documented in `pkg-config/tactful.d.ts`.
    // `pkg-config/decision.js` builds `{ decision, memory }` from the tape (`tape::Tape`): the
    // words returned here and the numbers left in `self.tape`. A decision record's is its JSON
    // text, and no numbers.
    #[wasm_bindgen(js_name = decideParts)]
    pub fn decide_parts(
        &self,
        context: &str,
        memory: Option<String>,
        options: Option<js_sys::Object>,
    ) -> Result<String, JsValue> {
        let context = Context::from_json(context).map_err(|e| context_error(&e))?;
        let (decision, memory) = self.decided(&context, memory, options)?;
        let decided = Decided {
            decision: &decision,
            memory: &memory,
        };
        let mut tape = self.tape.borrow_mut();
        Ok(if tape.write(&decided) {
            core::mem::take(&mut tape.words)
        } else {
            decided.to_json()
        })
    }

    /// For the glue: where `decideParts` left the numbers.
    //
    // An index into a `Float64Array` over the module's memory (`tapeMemory`); 0 when it gave a
    // decision record's text.
    #[wasm_bindgen(js_name = tapeAt)]
    pub fn tape_at(&self) -> usize {
        let tape = self.tape.borrow();
        if tape.numbers.is_empty() {
            0
        } else {
            tape.numbers.as_ptr() as usize / core::mem::size_of::<f64>()
        }
    }

    /// For the glue: the module's memory.
    //
    // The glue reads the tape's numbers where they lie, through one view over the memory
    // rather than a new `Float64Array` per decision (that was 6% of a decision under Node).
    #[wasm_bindgen(js_name = tapeMemory)]
    pub fn tape_memory(&self) -> JsValue {
        wasm_bindgen::memory()
    }

    /// Decides, as the glue's `decide`, and returns the JSON text of `{ decision, memory }`:
    /// byte for byte what `tactful decide` prints, ready to log or to send on.
    ///
    /// # Errors
    /// A `ContextError` naming the field of the context that is wrong.
    #[wasm_bindgen(js_name = decideJson)]
    pub fn decide_json(
        &self,
        context: JsValue,
        memory: Option<String>,
        options: Option<js_sys::Object>,
    ) -> Result<String, JsValue> {
        let (decision, memory) = self.decided(&read_context(&context)?, memory, options)?;
        let decided = Decided {
            decision: &decision,
            memory: &memory,
        };
        Ok(decided.to_json())
    }

    /// Reads the options, and decides.
    fn decided(
        &self,
        context: &Context,
        memory: Option<String>,
        options: Option<js_sys::Object>,
    ) -> Result<(crate::Decision, String), JsValue> {
        let options = options.as_ref().map(JsCast::unchecked_ref::<OptionsObject>);
        let flag = |get: fn(&OptionsObject) -> Result<JsValue, JsValue>| {
            options.is_some_and(|o| get(o).is_ok_and(|v| v.is_truthy()))
        };
        let options = crate::DecideOptions {
            record_impressions: flag(OptionsObject::record_impressions),
            copy: flag(OptionsObject::copy),
            decision_record: flag(OptionsObject::decision_record),
        };
        let memory = memory.as_deref().unwrap_or("");
        crate::decide_with(&self.snapshot, context, memory, options).map_err(|e| context_error(&e))
    }

    /// The words of the decision `decide` makes from the same context and memory: byte for
    /// byte what `tactful explain` prints (the glue's `explain` parses it).
    ///
    /// # Errors
    /// A `ContextError` naming the field of the context that is wrong.
    #[wasm_bindgen(js_name = explainJson)]
    pub fn explain_json(
        &self,
        context: JsValue,
        memory: Option<String>,
    ) -> Result<String, JsValue> {
        let context = read_context(&context)?;
        let memory = memory.as_deref().unwrap_or("");
        crate::explain(&self.snapshot, &context, memory)
            .map(|words| words.to_json())
            .map_err(|e| context_error(&e))
    }

    /// Records an event (`impression`, `dismiss`, `accept`, `purchase`) into memory and returns
    /// the new memory, bound to this store. Unreadable memory (or another store's) starts
    /// fresh; memory from a newer version is refused. An event naming an offer this snapshot
    /// does not have is refused, as `tactful record --snapshot` refuses it: no decision would
    /// read it, and a host that logs what it recorded would log an offer the store never showed.
    ///
    /// # Errors
    /// A `MemoryError` for a malformed event (`memory.bad_event`, path `offerId` for an offer
    /// not in the snapshot), or memory written by a newer version.
    pub fn record(&self, memory: Option<String>, event: JsValue) -> Result<String, JsValue> {
        record_for(memory, &event, Some(&self.snapshot))
    }

    /// Checks that a memory string can be read as this store's; returns it normalised.
    ///
    /// # Errors
    /// A `MemoryError` saying why it cannot be read (`memory.other_store` for another store's).
    #[wasm_bindgen(js_name = parseMemory)]
    pub fn parse_memory(&self, memory: &str) -> Result<String, JsValue> {
        parse_for(memory, Some(self.snapshot.memory_tag()))
    }

    /// Opens a memory string a host found in storage, for this store (see [`Memory::open`]):
    /// `{ memory, keep, problem }`. `memory` is the string normalised, or `""` when it could
    /// not be read; `problem` is `{ name: "MemoryError", code, message }` saying why (or
    /// `null`); `keep` says the
    /// string must be stored back unchanged (memory from a newer version): the one rule every
    /// host follows, decided here.
    #[wasm_bindgen(js_name = openMemory)]
    pub fn open_memory(&self, memory: &str) -> JsValue {
        let opened = Memory::open(memory, Some(self.snapshot.memory_tag()));
        let out = js_sys::Object::new();
        let text = if opened.problem.is_some() {
            String::new()
        } else {
            opened.memory.encode()
        };
        // A plain object rather than an Error: it crosses postMessage with its code intact.
        let problem = opened.problem.as_ref().map_or(JsValue::NULL, |e| {
            let plain = js_sys::Object::new();
            let _ = Reflect::set(&plain, &"name".into(), &"MemoryError".into());
            let _ = Reflect::set(&plain, &"code".into(), &e.code().into());
            let _ = Reflect::set(&plain, &"message".into(), &e.to_string().into());
            plain.into()
        });
        // Setting properties on a fresh object cannot fail.
        let _ = Reflect::set(&out, &"memory".into(), &text.into());
        let _ = Reflect::set(&out, &"keep".into(), &opened.must_keep().into());
        let _ = Reflect::set(&out, &"problem".into(), &problem);
        out.into()
    }

    /// Merges two memory strings of this store without losing an event; a copy of another
    /// store counts as empty (see [`Memory::merge_encoded`]).
    #[wasm_bindgen(js_name = mergeMemory)]
    pub fn merge_memory(&self, a: &str, b: &str) -> String {
        Memory::merge_encoded(a, b, Some(self.snapshot.memory_tag()))
    }
}

/// Records an event into memory without a snapshot (memory is keyed by offer id).
///
/// # Errors
/// A `MemoryError` for a malformed event, or memory written by a newer version.
#[wasm_bindgen(js_name = recordEvent)]
pub fn record(memory: Option<String>, event: JsValue) -> Result<String, JsValue> {
    record_for(memory, &event, None)
}

/// Records `event`, bound to `snapshot`'s store and checked against its offers when given.
fn record_for(
    memory: Option<String>,
    event: &JsValue,
    snapshot: Option<&Snapshot>,
) -> Result<String, JsValue> {
    let text = json_text(event, "event").map_err(|detail| {
        memory_error(&MemoryError::BadEvent {
            field: String::new(),
            detail,
        })
    })?;
    let event = MemoryEvent::from_json(&text).map_err(|e| memory_error(&e))?;
    if let (Some(snapshot), Some(id)) = (snapshot, &event.offer_id) {
        if snapshot.offer_by_id(id).is_none() {
            return Err(memory_error(&MemoryError::BadEvent {
                field: "offerId".to_owned(),
                detail: format!(
                    "offer `{id}` is not in the snapshot {}; nothing was recorded",
                    snapshot.id()
                ),
            }));
        }
    }
    let store = snapshot.map(Snapshot::memory_tag);
    let (mut decoded, _fresh) = Memory::open(memory.as_deref().unwrap_or(""), store)
        .writable()
        .map_err(|e| memory_error(&e))?;
    decoded.record(&event).map_err(|e| memory_error(&e))?;
    if let Some(store) = store {
        decoded.store = store;
    }
    Ok(decoded.encode())
}

/// Checks that a memory string can be read (of any store); returns it normalised.
///
/// # Errors
/// A `MemoryError` saying why it cannot be read.
#[wasm_bindgen(js_name = parseMemory)]
pub fn parse_memory(memory: &str) -> Result<String, JsValue> {
    parse_for(memory, None)
}

fn parse_for(memory: &str, store: Option<u16>) -> Result<String, JsValue> {
    Memory::decode_for(memory, store)
        .map(|m| m.encode())
        .map_err(|e| memory_error(&e))
}

/// Merges two memory strings (two tabs, or the browser and the edge cookie) without losing
/// an event. An unreadable side counts as empty; memory from a newer version is returned
/// unchanged (see [`Memory::merge_encoded`]). `Engine.mergeMemory` also drops another
/// store's copy.
#[wasm_bindgen(js_name = mergeMemory)]
pub fn merge_memory(a: &str, b: &str) -> String {
    Memory::merge_encoded(a, b, None)
}

/// The size of a memory string in bytes, as a cookie or localStorage counts it.
#[wasm_bindgen(js_name = memorySize)]
pub fn memory_size(memory: &str) -> usize {
    memory.len()
}
