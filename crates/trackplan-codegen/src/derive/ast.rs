//! The derive's model of the item: fields and variants with their parsed attributes and wire
//! names, each remembering the tokens it came from so checks can point at them (serde_derive's
//! `ast.rs`).

use proc_macro2::Span;
use syn::ext::IdentExt;
use syn::{Data as SynData, DeriveInput, Fields, Generics, Ident, LitStr, Type};

use super::attr;
use super::ctxt::Ctxt;
use super::Derive;
use trackplan_plan::conventions::{self, Case};

pub struct Container<'a> {
    pub derive: Derive,
    pub ident: &'a Ident,
    pub attrs: attr::Container,
    pub generics: &'a Generics,
    /// `None` when the item's shape cannot be derived (the reason is in the `Ctxt`).
    pub data: Option<Data<'a>>,
    /// The event name (Event only).
    pub event_name: Option<WireName>,
}

pub enum Data<'a> {
    Struct(Vec<Field<'a>>),
    Enum(Vec<Variant<'a>>),
}

pub struct Field<'a> {
    pub member: &'a Ident,
    pub ty: &'a Type,
    pub attrs: attr::Field,
    pub wire: WireName,
}

pub struct Variant<'a> {
    pub ident: &'a Ident,
    pub wire: WireName,
}

/// A name sent on the wire, and where it came from.
pub struct WireName {
    pub value: String,
    /// The rename literal when there is one, else the identifier it was derived from.
    pub span: Span,
    /// Given verbatim by the user (`rename`, `name`) rather than derived from an identifier.
    pub explicit: bool,
}

impl WireName {
    fn new(derived: String, ident: &Ident, explicit: Option<&LitStr>) -> Self {
        match explicit {
            Some(lit) => WireName {
                value: lit.value(),
                span: lit.span(),
                explicit: true,
            },
            None => WireName {
                value: derived,
                span: ident.span(),
                explicit: false,
            },
        }
    }
}

impl<'a> Container<'a> {
    /// The model of `input`; problems go to `cx`.
    pub fn from_ast(cx: &Ctxt, derive: Derive, input: &'a DeriveInput) -> Self {
        let attrs = attr::Container::from_ast(cx, derive, &input.attrs);
        let data = match (&input.data, derive) {
            (SynData::Enum(data), Derive::Enum) => Some(Data::Enum(
                data.variants
                    .iter()
                    .filter_map(|v| variant_from_ast(cx, attrs.case, v))
                    .collect(),
            )),
            (SynData::Struct(data), Derive::Enum) => {
                cx.error_spanned_by(
                    data.struct_token,
                    "`derive(Enum)` needs an enum of unit variants, such as `enum Tier { Free, Pro }`; for an object property use `#[derive(trackplan::Properties)]`",
                );
                None
            }
            (SynData::Struct(data), _) => {
                fields_from_ast(cx, derive, &attrs, &input.ident, &data.fields).map(Data::Struct)
            }
            (SynData::Enum(data), _) => {
                cx.error_spanned_by(
                    data.enum_token,
                    format!(
                        "`derive({})` needs a struct with named fields; for a string-valued enum property use `#[derive(trackplan::Enum)]`",
                        derive.trait_name()
                    ),
                );
                None
            }
            (SynData::Union(data), _) => {
                cx.error_spanned_by(
                    data.union_token,
                    format!(
                        "`derive({})` does not support unions: use {}",
                        derive.trait_name(),
                        derive.expected_shape()
                    ),
                );
                None
            }
        };
        // An item that cannot be an event at all gets no name to check.
        let event_name = (derive == Derive::Event && data.is_some()).then(|| {
            WireName::new(
                conventions::default_event_name(&input.ident.unraw().to_string()),
                &input.ident,
                attrs.name.as_ref(),
            )
        });
        Container {
            derive,
            ident: &input.ident,
            attrs,
            generics: &input.generics,
            data,
            event_name,
        }
    }

    pub fn fields(&self) -> &[Field<'a>] {
        match &self.data {
            Some(Data::Struct(fields)) => fields,
            _ => &[],
        }
    }

    pub fn variants(&self) -> &[Variant<'a>] {
        match &self.data {
            Some(Data::Enum(variants)) => variants,
            _ => &[],
        }
    }

    /// The fields that are sent (not `skip`).
    pub fn sent_fields(&self) -> impl Iterator<Item = &Field<'a>> {
        self.fields()
            .iter()
            .filter(|field| field.attrs.skip.is_none())
    }
}

fn fields_from_ast<'a>(
    cx: &Ctxt,
    derive: Derive,
    attrs: &attr::Container,
    ident: &Ident,
    fields: &'a Fields,
) -> Option<Vec<Field<'a>>> {
    match fields {
        Fields::Named(named) => Some(
            named
                .named
                .iter()
                .filter_map(|field| {
                    let member = field.ident.as_ref()?;
                    let field_attrs = attr::Field::from_ast(cx, derive, &field.attrs);
                    let wire = WireName::new(
                        property_name(attrs.case, member),
                        member,
                        field_attrs.rename.as_ref(),
                    );
                    Some(Field {
                        member,
                        ty: &field.ty,
                        attrs: field_attrs,
                        wire,
                    })
                })
                .collect(),
        ),
        // No fields at all: an event or object without properties, sent as `{}`.
        Fields::Unit => Some(Vec::new()),
        Fields::Unnamed(unnamed) => {
            cx.error_spanned_by(
                unnamed,
                format!(
                    "`derive({})` needs named fields: property names come from field names; write `struct {} {{ order_id: String }}`",
                    derive.trait_name(),
                    ident,
                ),
            );
            None
        }
    }
}

/// The wire name of a field without `rename`: a Rust field is already snake_case, so the default
/// convention sends it as written (and a field that breaks the convention is reported rather
/// than silently rewritten); other conventions convert it word by word.
fn property_name(case: Case, member: &Ident) -> String {
    let name = member.unraw().to_string();
    match case {
        Case::Snake => name,
        other => other.convert(&name),
    }
}

fn variant_from_ast<'a>(cx: &Ctxt, case: Case, variant: &'a syn::Variant) -> Option<Variant<'a>> {
    let attrs = attr::Variant::from_ast(cx, &variant.attrs);
    if !matches!(variant.fields, Fields::Unit) {
        cx.error_spanned_by(
            &variant.fields,
            format!(
                "`derive(Enum)` variants are plain strings and cannot carry data: make `{}` a unit variant, or use a serde enum with `#[property(serde)]` on the field",
                variant.ident
            ),
        );
        return None;
    }
    let wire = WireName::new(
        case.convert(&variant.ident.unraw().to_string()),
        &variant.ident,
        attrs.rename.as_ref(),
    );
    Some(Variant {
        ident: &variant.ident,
        wire,
    })
}
