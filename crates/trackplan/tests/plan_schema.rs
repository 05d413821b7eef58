//! The schema constructs of `tests/plans/constructs.json` (anyOf, oneOf, allOf,
//! patternProperties, multipleOf, uniqueItems, tuples, not, dependencies) as generated code:
//! each runtime keyword reports a violating value at its path and passes a conforming one,
//! generated types decode what they encode, and `violations()` agrees with the `jsonschema`
//! crate (the collector's validator) on random JSON.
#![deny(warnings)]

use std::collections::BTreeMap;
use std::path::Path;

use proptest::prelude::*;
use serde::de::DeserializeOwned;
use serde_json::{json, Map, Value};
use trackplan::{Nullable, Properties, Traits, Violation};

#[allow(dead_code)]
mod constructs {
    include!("plans/generated/constructs.rs");
}
#[allow(dead_code)]
mod ecommerce {
    include!("plans/generated/ecommerce.rs");
}
#[allow(dead_code)]
mod exotic {
    include!("plans/generated/exotic.rs");
}

use constructs::*;

fn payment() -> PaymentMade {
    PaymentMade::new(
        PaymentMadeMethod::Card(PaymentMadeMethodCard::new("4242")),
        PaymentMadeTotal::new(12.5, "EUR", 2.0),
    )
}

/// The rules each violation names, as `path rule`.
fn found(violations: Vec<Violation>) -> Vec<String> {
    violations
        .into_iter()
        .map(|v| format!("{} {}", v.path, v.rule))
        .collect()
}

fn properties_json<P: Properties>(payload: &P) -> Value {
    let mut out = Vec::new();
    payload.write_properties(&mut out).unwrap();
    serde_json::from_slice(&out).unwrap()
}

#[test]
fn a_conforming_payment_has_no_violations_and_sends_each_branch_as_itself() {
    let payment = PaymentMade {
        note: Nullable::Null,
        billing: Nullable::Value(Address::new("1 Main St")),
        reference: Some(PaymentMadeReference::String2("REF-123456".into())),
        quantity: Some(PaymentMadeQuantity::Integer(4)),
        id: Some(PaymentMadeId::Integer(7)),
        tags: Some(vec!["a".into(), "b".into()]),
        point: Some(vec![json!(1.5), json!(2), json!("km")]),
        labels: Some(BTreeMap::from([("x-team".to_owned(), "core".to_owned())])),
        status: Some("active".into()),
        step: Some(95),
        gift: Some(true),
        gift_message: Some("enjoy".into()),
        ..payment()
    };
    assert_eq!(payment.violations(), []);
    let sent = properties_json(&payment);
    assert_eq!(sent["method"], json!({ "kind": "card", "last4": "4242" }));
    assert_eq!(
        sent["total"],
        json!({ "amount": 12.5, "currency": "EUR", "tax": 2.0 })
    );
    assert_eq!(sent["id"], json!(7));
    assert_eq!(sent["note"], Value::Null);
}

#[test]
fn every_runtime_keyword_reports_a_violating_value_at_its_path() {
    let cases: Vec<(PaymentMade, &str)> = vec![
        (
            PaymentMade {
                total: PaymentMadeTotal::new(12.345, "EUR", 0.0),
                ..payment()
            },
            "/total/amount multipleOf",
        ),
        (
            PaymentMade {
                step: Some(7),
                ..payment()
            },
            "/step multipleOf",
        ),
        (
            PaymentMade {
                tags: Some(vec!["a".into(), "b".into(), "a".into()]),
                ..payment()
            },
            "/tags uniqueItems",
        ),
        (
            PaymentMade {
                point: Some(vec![json!(1), json!("north"), json!("m")]),
                ..payment()
            },
            "/point/1 type",
        ),
        (
            PaymentMade {
                point: Some(vec![json!(1), json!(2), json!("miles")]),
                ..payment()
            },
            "/point/2 enum",
        ),
        (
            PaymentMade {
                point: Some(vec![json!(1), json!(2), json!("m"), json!(4)]),
                ..payment()
            },
            "/point additionalItems",
        ),
        (
            PaymentMade {
                labels: Some(BTreeMap::from([("team".to_owned(), "core".to_owned())])),
                ..payment()
            },
            "/labels/team additionalProperties",
        ),
        (
            PaymentMade {
                status: Some("deleted".into()),
                ..payment()
            },
            "/status not",
        ),
        (
            PaymentMade {
                gift_message: Some("hi".into()),
                ..payment()
            },
            " dependencies",
        ),
        (
            PaymentMade {
                quantity: Some(PaymentMadeQuantity::Integer(6)),
                ..payment()
            },
            "/quantity oneOf",
        ),
        (
            PaymentMade {
                quantity: Some(PaymentMadeQuantity::Integer2(7)),
                ..payment()
            },
            "/quantity multipleOf",
        ),
        (
            PaymentMade {
                reference: Some(PaymentMadeReference::String("LONGER".into())),
                ..payment()
            },
            "/reference maxLength",
        ),
        (
            PaymentMade {
                method: PaymentMadeMethod::Card(PaymentMadeMethodCard::new("42x2")),
                ..payment()
            },
            "/method/last4 pattern",
        ),
        (
            PaymentMade {
                id: Some(PaymentMadeId::Integer(0)),
                ..payment()
            },
            "/id minimum",
        ),
    ];
    // Paths are JSON pointers from the payload: the payload's own is empty.
    for (payment, expected) in cases {
        assert_eq!(found(payment.violations()), [expected], "{payment:?}");
    }
}

#[test]
fn any_of_passes_when_another_branch_matches() {
    // "REF-123456" is too long for the first branch but matches the second's pattern: the
    // value is valid however it is held.
    let payment = PaymentMade {
        reference: Some(PaymentMadeReference::String("REF-123456".into())),
        ..payment()
    };
    assert_eq!(payment.violations(), []);
}

#[test]
fn pattern_properties_beside_properties_are_a_checked_map() {
    let profile = ProfileUpdated {
        extra: BTreeMap::from([("score_1".to_owned(), 3), ("rank".to_owned(), -1)]),
        ..ProfileUpdated::new("Ada")
    };
    assert_eq!(
        found(profile.violations()),
        ["/rank additionalProperties", "/rank minimum"]
    );
    let sent = properties_json(&profile);
    assert_eq!(sent, json!({ "name": "Ada", "rank": -1, "score_1": 3 }));
}

#[test]
fn undeclared_keys_follow_additional_properties_when_decoding() {
    let closed = serde_json::from_value::<PaymentMade>(json!({
        "method": { "kind": "bank", "iban": "DE89" },
        "total": { "amount": 1, "currency": "EUR", "tax": 0 },
        "surprise": 1
    }));
    assert!(closed.unwrap_err().to_string().contains("surprise"));
    let profile: ProfileUpdated =
        serde_json::from_value(json!({ "name": "Ada", "score_2": 5, "seen_at": null })).unwrap();
    assert_eq!(profile.extra, BTreeMap::from([("score_2".to_owned(), 5)]));
    assert_eq!(profile.seen_at, Nullable::Null);
    assert!(serde_json::from_value::<ProfileUpdated>(json!({ "name": "Ada", "rank": 1 })).is_err());
}

#[test]
fn decode_takes_a_whole_message_and_names_the_first_mismatch() {
    let message = json!({
        "type": "track",
        "event": "Payment Made",
        "userId": "u1",
        "properties": {
            "method": { "kind": "bank", "iban": "DE89" },
            "total": { "amount": 10, "currency": "EUR", "tax": 1.5 },
            "billing": null
        }
    });
    let payment: PaymentMade = trackplan::decode(&message).unwrap();
    assert_eq!(
        payment.method,
        PaymentMadeMethod::Bank(PaymentMadeMethodBank::new("DE89"))
    );
    assert_eq!(payment.billing, Nullable::Null);
    assert_eq!(payment.note, Nullable::Absent);
    let bytes = serde_json::to_vec(&message).unwrap();
    assert_eq!(
        trackplan::decode_slice::<PaymentMade>(&bytes).unwrap(),
        payment
    );

    let mut wrong = message.clone();
    wrong["properties"]["total"]["currency"] = json!(3);
    let error = trackplan::decode::<PaymentMade>(&wrong).unwrap_err();
    assert_eq!(error.path(), Some("/properties/total/currency"), "{error}");

    let mut other = message.clone();
    other["event"] = json!("Payment Failed");
    assert!(matches!(
        trackplan::decode::<PaymentMade>(&other).unwrap_err(),
        trackplan::DecodeError::WrongName { .. }
    ));
    let traits = json!({ "type": "identify", "traits": { "email": "a@b.co", "tier": "pro" } });
    let identify: Identify = trackplan::decode(&traits).unwrap();
    assert_eq!(identify.tier, Some(IdentifyTier::Pro));
    assert_eq!(identify.violations(), []);
}

// ---- agreement with the collector's validator, and the round-trip law -------------------------

/// A small deterministic generator of JSON shaped like a schema, and sometimes not: enough
/// near-misses (wrong types, bad formats, extra keys) to reach every keyword.
struct Shaper<'a> {
    seed: u64,
    definitions: &'a Map<String, Value>,
}

const STRINGS: &[&str] = &[
    "",
    "a",
    "abc",
    "EUR",
    "eur",
    "4242",
    "42x2",
    "REF-1",
    "REF-123456",
    "deleted",
    "active",
    "a@b.co",
    "not-an-email",
    "2026-01-02T03:04:05.678Z",
    "2026-13-02",
    "card",
    "bank",
    "m",
    "km",
    "free",
    "pro",
    "x-abc",
    "score_1",
    "DE89",
];
const NUMBERS: &[f64] = &[
    0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 10.0, 15.0, 99.0, 100.0, 105.0, -1.0, 0.5, 12.25,
    12.345,
];
const KEYS: &[&str] = &["x-abc", "x-1", "score_1", "score_x", "other"];

impl Shaper<'_> {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.seed ^= self.seed >> 12;
        self.seed ^= self.seed << 25;
        self.seed ^= self.seed >> 27;
        self.seed.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11
    }

    fn chance(&mut self, one_in: u64) -> bool {
        self.next().is_multiple_of(one_in)
    }

    fn pick<'v, T>(&mut self, values: &'v [T]) -> &'v T {
        &values[(self.next() % values.len() as u64) as usize]
    }

    fn number(&mut self, integer: bool) -> Value {
        let n = *self.pick(NUMBERS);
        if integer || n.fract() == 0.0 && self.chance(2) {
            json!(n as i64)
        } else {
            json!(n)
        }
    }

    fn wild(&mut self) -> Value {
        match self.next() % 7 {
            0 => Value::Null,
            1 => json!(self.chance(2)),
            2 => self.number(true),
            3 => self.number(false),
            4 => json!(*self.pick(STRINGS)),
            5 => json!([]),
            _ => json!({}),
        }
    }

    fn value(&mut self, schema: &Value, depth: u32) -> Value {
        if depth > 5 || self.chance(12) {
            return self.wild();
        }
        let Some(map) = schema.as_object() else {
            return self.wild();
        };
        if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
            let name = reference.trim_start_matches("#/definitions/");
            let definition = self.definitions.get(name).cloned().unwrap_or(json!({}));
            return self.value(&definition, depth + 1);
        }
        for keyword in ["anyOf", "oneOf"] {
            if let Some(branches) = map.get(keyword).and_then(Value::as_array) {
                let branch = self.pick(branches).clone();
                return self.value(&branch, depth + 1);
            }
        }
        if let Some(branches) = map.get("allOf").and_then(Value::as_array) {
            let mut object = Map::new();
            for branch in branches {
                if let Value::Object(part) = self.value(branch, depth + 1) {
                    object.extend(part);
                }
            }
            return Value::Object(object);
        }
        if let Some(value) = map.get("const") {
            return value.clone();
        }
        if let Some(values) = map.get("enum").and_then(Value::as_array) {
            return self.pick(values).clone();
        }
        let types: Vec<&str> = match map.get("type") {
            Some(Value::String(one)) => vec![one],
            Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
            None if map.contains_key("properties") || map.contains_key("patternProperties") => {
                vec!["object"]
            }
            None => return self.wild(),
            Some(_) => return self.wild(),
        };
        match *self.pick(&types) {
            "string" => json!(*self.pick(STRINGS)),
            "integer" => self.number(true),
            "number" => self.number(false),
            "boolean" => json!(self.chance(2)),
            "null" => Value::Null,
            "array" => self.array(map, depth),
            "object" => self.object(map, depth),
            _ => self.wild(),
        }
    }

    fn array(&mut self, map: &Map<String, Value>, depth: u32) -> Value {
        let len = self.next() % 5;
        let items = match map.get("items") {
            Some(Value::Array(positions)) => (0..len)
                .map(|i| match positions.get(i as usize) {
                    Some(schema) => self.value(schema, depth + 1),
                    None => self.wild(),
                })
                .collect(),
            Some(schema) => {
                let first = self.value(schema, depth + 1);
                (0..len)
                    .map(|_| {
                        if self.chance(3) {
                            first.clone()
                        } else {
                            self.value(schema, depth + 1)
                        }
                    })
                    .collect()
            }
            None => (0..len).map(|_| self.wild()).collect(),
        };
        Value::Array(items)
    }

    fn object(&mut self, map: &Map<String, Value>, depth: u32) -> Value {
        let required: Vec<&str> = map
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut object = Map::new();
        if let Some(properties) = map.get("properties").and_then(Value::as_object) {
            for (name, schema) in properties {
                let keep = if required.contains(&name.as_str()) {
                    !self.chance(20)
                } else {
                    self.chance(2)
                };
                if keep {
                    object.insert(name.clone(), self.value(schema, depth + 1));
                }
            }
        }
        if let Some(patterns) = map.get("patternProperties").and_then(Value::as_object) {
            for schema in patterns.values() {
                for _ in 0..self.next() % 3 {
                    let key = self.pick(KEYS).to_string();
                    let value = self.value(schema, depth + 1);
                    object.insert(key, value);
                }
            }
        }
        if let Some(extra) = map.get("additionalProperties").filter(|e| e.is_object()) {
            if self.chance(2) {
                let key = self.pick(KEYS).to_string();
                let value = self.value(extra, depth + 1);
                object.insert(key, value);
            }
        }
        if self.chance(8) {
            object.insert(self.pick(KEYS).to_string(), self.wild());
        }
        Value::Object(object)
    }
}

/// The rule named `name` of the plan file `plan` (relative to the crate).
fn rule(plan: &str, name: &str) -> trackplan_plan::Rule {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(plan);
    let plan = trackplan_plan::load(&path).unwrap_or_else(|e| panic!("{e}"));
    plan.rules
        .into_iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("no rule {name}"))
}

/// For `cases` random payloads of `rule`: a payload decodes and has no violations exactly when
/// the collector's validator accepts it, and what decodes encodes back to an equal value.
fn agree<T>(
    rule: &trackplan_plan::Rule,
    seed: u64,
    encode: fn(&T) -> Vec<u8>,
    violations: fn(&T) -> Vec<Violation>,
) where
    T: DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let schema = rule.standalone_schema();
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .build(&schema)
        .unwrap();
    let mut shaper = Shaper {
        seed: seed | 1,
        definitions: &rule.definitions,
    };
    let payload = shaper.value(&schema, 0);
    let accepted = validator.is_valid(&payload);
    match serde_json::from_value::<T>(payload.clone()) {
        Err(error) => assert!(
            !accepted,
            "{}: the validator accepts {payload} but decoding fails: {error}",
            rule.name
        ),
        Ok(value) => {
            let found = violations(&value);
            assert_eq!(
                found.is_empty(),
                accepted,
                "{}: {payload} decodes to {value:?} with violations {found:?}, the validator accepts it: {accepted}",
                rule.name
            );
            let sent = encode(&value);
            let back: T = serde_json::from_slice(&sent).unwrap_or_else(|e| {
                panic!(
                    "{}: {} does not decode: {e}",
                    rule.name,
                    String::from_utf8_lossy(&sent)
                )
            });
            assert_eq!(back, value, "{}: decode(encode(x)) != x", rule.name);
        }
    }
}

fn properties_bytes<P: Properties>(payload: &P) -> Vec<u8> {
    let mut out = Vec::new();
    payload.write_properties(&mut out).unwrap();
    out
}

fn traits_bytes<P: Traits>(payload: &P) -> Vec<u8> {
    let mut out = Vec::new();
    payload.write_traits(&mut out).unwrap();
    out
}

const CONSTRUCTS: &str = "tests/plans/constructs.json";
const ECOMMERCE: &str = "../../schemas/ecommerce.json";
const EXOTIC: &str = "../trackplan-codegen/tests/plans/exotic.json";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn constructs_agree_with_the_validator_and_round_trip(seed in any::<u64>()) {
        agree::<PaymentMade>(&rule(CONSTRUCTS, "Payment Made"), seed, properties_bytes, Properties::violations);
        agree::<ProfileUpdated>(&rule(CONSTRUCTS, "Profile Updated"), seed, properties_bytes, Properties::violations);
        agree::<Identify>(&rule(CONSTRUCTS, ""), seed, traits_bytes, Traits::violations);
    }

    #[test]
    fn real_plans_agree_with_the_validator_and_round_trip(seed in any::<u64>()) {
        agree::<ecommerce::OrderCompleted>(&rule(ECOMMERCE, "Order Completed"), seed, properties_bytes, Properties::violations);
        agree::<ecommerce::ProductsSearched>(&rule(ECOMMERCE, "Products Searched"), seed, properties_bytes, Properties::violations);
        agree::<ecommerce::ProductListFiltered>(&rule(ECOMMERCE, "Product List Filtered"), seed, properties_bytes, Properties::violations);
        agree::<exotic::Pricing>(&rule(EXOTIC, "Pricing"), seed, properties_bytes, Properties::violations);
    }
}
