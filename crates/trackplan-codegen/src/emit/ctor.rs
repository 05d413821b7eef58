//! `new`: every generated struct built from the properties its plan requires, the optional ones
//! absent, so callers name only what they have:
//! `OrderCompleted { total: Some(30.0), ..OrderCompleted::new("o-1", products) }`.
//!
//! Which field becomes a parameter, and how it is passed, is decided by [`field_init`]; the
//! rest is spelling tokens.

use proc_macro2::TokenStream;
use quote::quote;

use super::{ident, Emitter};
use crate::schema::ir::{Field, Kind, Presence, StructDef};

/// Above this many parameters clippy's `too_many_arguments` fires (its default threshold).
const CLIPPY_MAX_ARGUMENTS: usize = 7;

/// How `new` gives a field its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Init {
    /// A parameter `impl Into<String>`, converted.
    IntoString,
    /// A parameter of the boxed type (a `$ref` cycle), boxed here.
    Boxed,
    /// A parameter of the field's own type.
    Plain,
    /// Not a parameter: an optional property, left absent.
    Absent,
    /// Not a parameter: an optional property that may also be sent as `null`, left absent.
    AbsentNullable,
}

impl Init {
    fn is_parameter(self) -> bool {
        matches!(self, Init::IntoString | Init::Boxed | Init::Plain)
    }
}

/// How `new` initialises `field`; `None` for a constant (always sent, not a struct field).
///
/// Every property the plan lists as required is a parameter, a required nullable one too (as
/// `Option<T>`: the plan asks the caller to say "null" rather than leave it out).
fn field_init(field: &Field) -> Option<Init> {
    if field.constant.is_some() {
        return None;
    }
    Some(match field.presence {
        Presence::Required if field.ty.nullable => Init::Plain,
        Presence::Required => match field.ty.kind {
            Kind::String => Init::IntoString,
            Kind::Boxed(_) => Init::Boxed,
            _ => Init::Plain,
        },
        Presence::RequiredNullable => Init::Plain,
        Presence::Optional => Init::Absent,
        Presence::OptionalNullable => Init::AbsentNullable,
    })
}

/// `impl S { pub fn new(required...) -> Self }` for the struct `s`.
pub(super) fn constructor(emitter: &Emitter<'_>, s: &StructDef) -> TokenStream {
    let name = ident(&s.name);
    let fields: Vec<(&Field, Init)> = s
        .fields
        .iter()
        .filter_map(|f| Some((f, field_init(f)?)))
        .collect();
    let parameters: Vec<&Field> = fields
        .iter()
        .filter(|(_, init)| init.is_parameter())
        .map(|(f, _)| *f)
        .collect();

    let params = fields
        .iter()
        .filter(|(_, init)| init.is_parameter())
        .map(|(f, init)| {
            let param = ident(&f.ident);
            let ty = match (init, &f.ty.kind) {
                (Init::IntoString, _) => {
                    quote!(impl ::std::convert::Into<::std::string::String>)
                }
                (Init::Boxed, Kind::Boxed(boxed)) => {
                    let boxed = ident(boxed);
                    quote!(#boxed)
                }
                _ => emitter.field_ty(f),
            };
            quote!(#param: #ty)
        });
    let krate = &emitter.krate;
    let inits = fields.iter().map(|(f, init)| {
        let field = ident(&f.ident);
        match init {
            Init::IntoString => quote!(#field: ::std::convert::Into::into(#field)),
            Init::Boxed => quote!(#field: ::std::boxed::Box::new(#field)),
            Init::Plain => quote!(#field),
            Init::Absent => quote!(#field: ::std::option::Option::None),
            Init::AbsentNullable => quote!(#field: #krate::Nullable::Absent),
        }
    });
    let extra = s.extra.as_ref().map(|e| {
        let field = ident(&e.ident);
        quote!(#field: ::std::collections::BTreeMap::new(),)
    });
    let allow = (parameters.len() > CLIPPY_MAX_ARGUMENTS)
        .then(|| quote!(#[allow(clippy::too_many_arguments)]));
    let has_optional = fields.len() > parameters.len() || s.extra.is_some();
    let docs = super::docs(None, &doc_lines(&s.name, &parameters, has_optional));
    quote! {
        impl #name {
            #docs
            #allow
            pub fn new(#(#params),*) -> Self {
                Self {
                    #(#inits,)*
                    #extra
                }
            }
        }
    }
}

/// The rustdoc of `new`: which properties it takes, and how to set the others (when there are).
fn doc_lines(name: &str, parameters: &[&Field], has_optional: bool) -> Vec<String> {
    let args: Vec<&str> = parameters.iter().map(|f| f.ident.as_str()).collect();
    let update = format!(
        "`{name} {{ field: Some(value), ..{name}::new({}) }}`.",
        args.join(", ")
    );
    if parameters.is_empty() {
        let mut lines = vec![format!(
            "Builds `{name}` with every property absent (the plan requires none): the same as `{name}::default()`."
        )];
        if has_optional {
            lines.push(String::new());
            lines.push(format!(
                "Set properties with struct update syntax: {update}"
            ));
        }
        return lines;
    }
    let names: Vec<String> = parameters
        .iter()
        .map(|f| {
            if f.ident == f.wire {
                format!("`{}`", f.ident)
            } else {
                format!("`{}` (sent as `{}`)", f.ident, f.wire.escape_debug())
            }
        })
        .collect();
    let mut lines = vec![format!(
        "Builds `{name}` from the properties the plan requires: {}.",
        names.join(", ")
    )];
    if has_optional {
        lines.push(String::new());
        lines.push(
            "Optional properties start absent; set them with struct update syntax:".to_owned(),
        );
        lines.push(update);
    }
    lines
}

#[cfg(test)]
mod tests {

    use serde_json::json;

    use super::*;
    use crate::schema::ir::{Extra, Ty, TypeSpace};

    fn field(ident: &str, presence: Presence, kind: Kind) -> Field {
        Field {
            ident: ident.to_owned(),
            wire: ident.to_owned(),
            presence,
            ty: Ty::plain(kind),
            description: None,
            constant: None,
            pointer: String::new(),
            pii: None,
            unenforced: Vec::new(),
        }
    }

    fn tokens_of(s: StructDef) -> String {
        let space = TypeSpace {
            plan_name: "test".to_owned(),
            items: Vec::new(),
        };
        let emitter = Emitter::new(&space, &crate::facade_path::default_path());
        constructor(&emitter, &s).to_string()
    }

    fn structure(fields: Vec<Field>) -> StructDef {
        StructDef {
            name: "OrderCompleted".to_owned(),
            description: None,
            fields,
            extra: None,
            root: None,
            closed: false,
            dependent_required: Vec::new(),
        }
    }

    #[test]
    fn every_presence_decides_parameter_or_absent() {
        let cases = [
            (Presence::Required, Kind::String, Init::IntoString),
            (Presence::Required, Kind::Boxed("Node".into()), Init::Boxed),
            (Presence::Required, Kind::Integer, Init::Plain),
            (Presence::RequiredNullable, Kind::String, Init::Plain),
            (Presence::Optional, Kind::String, Init::Absent),
            (
                Presence::OptionalNullable,
                Kind::String,
                Init::AbsentNullable,
            ),
        ];
        for (presence, kind, expected) in cases {
            let f = field("x", presence, kind.clone());
            assert_eq!(field_init(&f), Some(expected), "{presence:?} {kind:?}");
        }
        let mut nullable_items = field("x", Presence::Required, Kind::String);
        nullable_items.ty.nullable = true;
        assert_eq!(field_init(&nullable_items), Some(Init::Plain));
        let mut constant = field("x", Presence::Required, Kind::String);
        constant.constant = Some(json!("v1"));
        assert_eq!(field_init(&constant), None, "constants are not fields");
    }

    #[test]
    fn required_fields_are_parameters_in_declaration_order() {
        let mut version = field("version", Presence::Required, Kind::String);
        version.constant = Some(json!("v1"));
        let text = tokens_of(structure(vec![
            field("total", Presence::Optional, Kind::Number),
            field("order_id", Presence::Required, Kind::String),
            version,
            field("note", Presence::OptionalNullable, Kind::String),
            field(
                "products",
                Presence::Required,
                Kind::Array(Box::new(Ty::plain(Kind::Integer))),
            ),
        ]));
        let signature = "pub fn new (order_id : impl :: std :: convert :: Into < :: std :: string :: String > , products : :: std :: vec :: Vec < i64 >) -> Self";
        assert!(text.contains(signature), "{text}");
        for init in [
            "total : :: std :: option :: Option :: None",
            "order_id : :: std :: convert :: Into :: into (order_id)",
            "note : :: trackplan :: Nullable :: Absent",
            ", products ,",
        ] {
            assert!(text.contains(init), "{init} in {text}");
        }
        assert!(
            !text.contains("version"),
            "constants are not fields: {text}"
        );
        assert!(!text.contains("too_many_arguments"), "{text}");
        assert!(
            text.contains("from the properties the plan requires: `order_id`, `products`."),
            "{text}"
        );
        assert!(
            text.contains("..OrderCompleted::new(order_id, products) }`."),
            "the update example names the parameters: {text}"
        );
    }

    #[test]
    fn no_required_field_gives_an_empty_new_and_extra_maps_start_empty() {
        let mut s = structure(vec![field("total", Presence::Optional, Kind::Number)]);
        s.extra = Some(Extra {
            ident: "extra".to_owned(),
            value: Ty::plain(Kind::Any),
            key_patterns: Vec::new(),
        });
        let text = tokens_of(s);
        assert!(text.contains("pub fn new () -> Self"), "{text}");
        assert!(
            text.contains("extra : :: std :: collections :: BTreeMap :: new ()"),
            "{text}"
        );
        assert!(text.contains("OrderCompleted::default()"), "{text}");
        assert!(text.contains("struct update syntax"), "{text}");
        let empty = tokens_of(structure(Vec::new()));
        assert!(
            empty.contains("pub fn new () -> Self { Self { } }"),
            "{empty}"
        );
        assert!(
            !empty.contains("struct update"),
            "nothing to set, no update example: {empty}"
        );
    }

    #[test]
    fn many_parameters_allow_clippy_too_many_arguments_on_new_only() {
        let fields = (0..=CLIPPY_MAX_ARGUMENTS)
            .map(|i| field(&format!("p{i}"), Presence::Required, Kind::Bool))
            .collect();
        let text = tokens_of(structure(fields));
        assert!(
            text.contains("# [allow (clippy :: too_many_arguments)] pub fn new"),
            "{text}"
        );
    }

    #[test]
    fn docs_name_wire_names_that_differ_and_boxed_parameters_take_the_value() {
        let mut renamed = field("num_attempts", Presence::Required, Kind::Integer);
        renamed.wire = "numAttempts".to_owned();
        let text = tokens_of(structure(vec![
            renamed,
            field("next", Presence::Required, Kind::Boxed("Node".into())),
        ]));
        assert!(
            text.contains("`num_attempts` (sent as `numAttempts`), `next`"),
            "{text}"
        );
        assert!(text.contains("next : Node"), "{text}");
        assert!(
            !text.contains("struct update"),
            "no optional property, no update example: {text}"
        );
        assert!(
            text.contains("next : :: std :: boxed :: Box :: new (next)"),
            "{text}"
        );
    }
}
