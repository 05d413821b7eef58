//! Every object schema of a plan's payloads, nested ones included, each visited once: a
//! definition that several rules `$ref` (the e-commerce `Product`) is walked at its first use only,
//! so its findings are not repeated per event.

use std::collections::HashSet;

use serde_json::Value;

use crate::schema::{self, JsonType, TypeSet};
use crate::{Plan, Rule};

/// Deeper nesting than this is not walked (JSON is finite, but the walk should stay cheap).
const MAX_DEPTH: usize = 64;

/// One object schema: a payload or a nested object, array items included.
pub(crate) struct ObjectSite<'a> {
    /// Index of the rule in `Plan::rules`.
    pub rule: usize,
    /// Path of the object inside the payload: empty for the payload itself, else `products[]`,
    /// `config.trackingPlans[]`...
    pub path: String,
    /// JSON pointer of the object schema in the plan file (at the `$ref` for referenced ones).
    pub pointer: String,
    /// The object schema, `$ref` resolved.
    pub schema: &'a Value,
}

impl ObjectSite<'_> {
    /// The object's properties with their paths, pointers and (resolved) schemas.
    pub(crate) fn properties<'p>(
        &'p self,
        rule: &'p Rule,
    ) -> impl Iterator<Item = PropertySite<'p>> + 'p {
        schema::properties(self.schema).map(move |(name, raw)| PropertySite {
            name,
            path: schema::path_join(&self.path, name),
            pointer: schema::pointer_join(&schema::pointer_join(&self.pointer, "properties"), name),
            schema: schema::resolve_leniently(raw, &rule.definitions).schema,
        })
    }
}

/// One property of an [`ObjectSite`].
pub(crate) struct PropertySite<'a> {
    pub name: &'a str,
    pub path: String,
    pub pointer: String,
    pub schema: &'a Value,
}

/// Every object schema of every rule, in plan order, parents before children.
pub(crate) fn objects(plan: &Plan) -> Vec<ObjectSite<'_>> {
    let mut walk = Walk {
        sites: Vec::new(),
        seen_definitions: HashSet::new(),
    };
    for (index, rule) in plan.rules.iter().enumerate() {
        walk.visit(
            index,
            rule,
            &rule.payload,
            String::new(),
            rule.pointer.clone(),
            0,
            true,
        );
    }
    walk.sites
}

struct Walk<'a> {
    sites: Vec<ObjectSite<'a>>,
    /// Definitions already walked: (name, its schema as text), since each rule carries its own
    /// copy of the plan's definitions.
    seen_definitions: HashSet<(String, String)>,
}

impl<'a> Walk<'a> {
    #[allow(clippy::too_many_arguments)]
    fn visit(
        &mut self,
        rule_index: usize,
        rule: &'a Rule,
        raw: &'a Value,
        path: String,
        pointer: String,
        depth: usize,
        is_payload: bool,
    ) {
        if depth > MAX_DEPTH {
            return;
        }
        let schema::Resolved { schema, definition } =
            schema::resolve_leniently(raw, &rule.definitions);
        if let Some(name) = definition {
            let key = (name.to_owned(), schema.to_string());
            if !self.seen_definitions.insert(key) {
                return;
            }
        }
        let types = TypeSet::of(schema);
        let is_object =
            schema::has_properties(schema) || (!types.is_any() && types.contains(JsonType::Object));
        if is_payload || is_object {
            self.sites.push(ObjectSite {
                rule: rule_index,
                path: path.clone(),
                pointer: pointer.clone(),
                schema,
            });
            let properties_pointer = schema::pointer_join(&pointer, "properties");
            for (name, child) in schema::properties(schema) {
                self.visit(
                    rule_index,
                    rule,
                    child,
                    schema::path_join(&path, name),
                    schema::pointer_join(&properties_pointer, name),
                    depth + 1,
                    false,
                );
            }
        }
        if let Some(items) = schema::single_items(schema) {
            self.visit(
                rule_index,
                rule,
                items,
                format!("{path}[]"),
                schema::pointer_join(&pointer, "items"),
                depth + 1,
                false,
            );
        }
    }
}
