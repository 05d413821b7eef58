//! Expansion-level tests: what reaches the compiler as errors and which impls are emitted. The
//! generated code's behaviour is tested through the facade (`crates/trackplan/tests`), its
//! diagnostics with trybuild (`crates/trackplan/tests/ui`).

use proc_macro2::TokenStream;
use syn::{parse_quote, DeriveInput};

use super::*;

fn error_messages(tokens: &TokenStream) -> Vec<String> {
    // `compile_error! { "message" }` as emitted by `syn::Error::into_compile_error`.
    let text = tokens.to_string();
    text.split("compile_error !")
        .skip(1)
        .map(|rest| {
            let start = rest.find('"').map_or(0, |i| i + 1);
            let end = rest[start..].find("\" }").map_or(rest.len(), |i| start + i);
            rest[start..end].to_owned()
        })
        .collect()
}

#[test]
fn valid_event_expands_without_errors() {
    let input: DeriveInput = parse_quote! {
        #[event(name = "Order Completed")]
        struct OrderCompleted { order_id: String, #[property(rename = "checkout_id")] checkout: String }
    };
    let tokens = expand_event(&input);
    assert_eq!(error_messages(&tokens), Vec::<String>::new());
    let text = tokens.to_string();
    assert!(
        text.contains("impl :: trackplan :: Event for OrderCompleted"),
        "{text}"
    );
    assert!(
        text.contains(r#""\"checkout_id\":""#),
        "keys are pre-quoted: {text}"
    );
    assert!(text.contains(r#""Order Completed""#), "{text}");
}

#[test]
fn every_error_of_an_item_is_reported_together_with_the_fallback() {
    let input: DeriveInput = parse_quote! {
        #[event(name = "order completed", nme = "x")]
        struct OrderCompleted {
            #[property(rename = "orderId")]
            order_id: String,
            #[property(rename = "total")]
            amount: f64,
            total: f64,
        }
    };
    let tokens = expand_event(&input);
    let messages = error_messages(&tokens);
    assert_eq!(messages.len(), 4, "{messages:#?}");
    assert!(
        messages[0].contains("unknown `#[event(...)]` option `nme`"),
        "{messages:#?}"
    );
    assert!(messages
        .iter()
        .any(|m| m.contains("event name `order completed`")));
    assert!(messages
        .iter()
        .any(|m| m.contains("property name `orderId` is not snake_case")));
    assert!(messages
        .iter()
        .any(|m| m.contains("duplicate property `total`")));
    let text = tokens.to_string();
    assert!(
        text.contains("impl :: trackplan :: Event for OrderCompleted"),
        "fallback: {text}"
    );
    assert!(text.contains("unreachable"), "fallback bodies: {text}");
}

#[test]
fn the_crate_path_can_be_overridden_also_in_the_fallback() {
    let input: DeriveInput = parse_quote! {
        #[properties(crate = "my::tp", case = "camel")]
        struct Page { title: String }
    };
    let tokens = expand_properties(&input);
    assert_eq!(error_messages(&tokens).len(), 1);
    assert!(
        tokens
            .to_string()
            .contains("impl my :: tp :: Properties for Page"),
        "{tokens}"
    );
}

#[test]
fn plan_attribute_is_handed_to_the_plan_check() {
    // Whatever `plan_check::check` says about a plan file that does not exist, it is an error,
    // and the item still gets its fallback impls.
    let input: DeriveInput = parse_quote! {
        #[event(plan = "does/not/exist.json")]
        struct OrderCompleted { order_id: String }
    };
    let tokens = expand_event(&input);
    assert_eq!(error_messages(&tokens).len(), 1, "{tokens}");
    assert!(tokens
        .to_string()
        .contains("impl :: trackplan :: Event for OrderCompleted"));

    let traits: DeriveInput = parse_quote! {
        #[traits(plan = "does/not/exist.json", call = "group")]
        struct OrgTraits { plan: String }
    };
    let tokens = expand_traits(&traits);
    assert_eq!(error_messages(&tokens).len(), 1, "{tokens}");
    assert!(tokens
        .to_string()
        .contains("impl :: trackplan :: Traits for OrgTraits"));
}

#[test]
fn call_without_plan_says_which_call_the_traits_are_registered_for() {
    let input: DeriveInput = parse_quote! {
        #[traits(call = "group")]
        struct OrgTraits { plan: String }
    };
    let tokens = expand_traits(&input);
    assert_eq!(error_messages(&tokens), Vec::<String>::new());
    let text = tokens.to_string();
    assert!(text.contains("register ! (group , OrgTraits)"), "{text}");
    let identify: DeriveInput = parse_quote! { struct UserTraits { email: String } };
    assert!(expand_traits(&identify)
        .to_string()
        .contains("register ! (identify , UserTraits)"));
}

#[test]
fn generic_types_describe_themselves_but_are_not_registered() {
    let input: DeriveInput = parse_quote! {
        #[event(name = "Item Viewed")]
        struct ItemViewed<T> { item: T }
    };
    let text = expand_event(&input).to_string();
    assert!(text.contains("impl < T > :: trackplan :: Describe for ItemViewed < T > where T : :: trackplan :: Describe"), "{text}");
    assert!(!text.contains("register"), "{text}");
}

#[test]
fn every_constraint_error_of_an_item_is_reported_together() {
    let input: DeriveInput = parse_quote! {
        struct OrderCompleted {
            #[property(pattern = "(", format = "e-mail")]
            order_id: String,
            #[property(min = 5, max = 1, min_length = 3, max_length = 2)]
            total: f64,
            #[property(skip, unique_items)]
            note: Vec<String>,
        }
    };
    let tokens = expand_event(&input);
    let messages = error_messages(&tokens);
    assert_eq!(messages.len(), 5, "{messages:#?}");
    assert!(messages[0].contains("`skip` field"), "{messages:#?}");
    assert!(messages[1].contains("not an ECMA-262"), "{messages:#?}");
    assert!(
        messages[2].contains("unknown format \\\"e-mail\\\""),
        "{messages:#?}"
    );
    assert!(
        messages[3].contains("`min = 5` and `max = 1`"),
        "{messages:#?}"
    );
    assert!(
        messages[4].contains("`min_length = 3` and `max_length = 2`"),
        "{messages:#?}"
    );
    // The fallback still describes the type, so plan call sites do not cascade.
    assert!(tokens
        .to_string()
        .contains("impl :: trackplan :: DescribeEvent for OrderCompleted"));
}

#[test]
fn enum_values_default_to_snake_case_and_follow_renames() {
    let input: DeriveInput = parse_quote! {
        enum Tier { Free, ProPlus, #[property(rename = "Enterprise Plan")] Enterprise }
    };
    let text = expand_enum(&input).to_string();
    assert!(text.contains(r#"Self :: Free => "free""#), "{text}");
    assert!(text.contains(r#"Self :: ProPlus => "pro_plus""#), "{text}");
    assert!(
        text.contains(r#"Self :: Enterprise => "Enterprise Plan""#),
        "{text}"
    );
}

#[test]
fn generic_field_types_get_a_bound() {
    let input: DeriveInput = parse_quote! {
        struct Wrapper<T> { items: Vec<T>, label: String }
    };
    let text = expand_properties(&input).to_string();
    assert!(
        text.contains("where Vec < T > : :: trackplan :: PropertyValue"),
        "{text}"
    );
    assert!(
        !text.contains("String : :: trackplan :: PropertyValue"),
        "{text}"
    );
}

#[test]
fn unions_are_refused_with_the_shape_each_derive_takes() {
    let input: DeriveInput = parse_quote! { union Bits { int: u32, float: f32 } };
    let messages = error_messages(&expand_enum(&input));
    assert_eq!(messages.len(), 1);
    assert!(
        messages[0].contains("use an enum of unit variants"),
        "{messages:?}"
    );
    let messages = error_messages(&expand_traits(&input));
    assert!(
        messages[0].contains("use a struct with named fields"),
        "{messages:?}"
    );
}

#[test]
fn version_takes_a_whole_number_and_a_plan() {
    let cases: [(DeriveInput, &str); 4] = [
        (
            parse_quote! { #[event(name = "A B", plan = "p.json", version = "2")] struct E {} },
            "expected a number: `version = 2`",
        ),
        (
            parse_quote! { #[event(name = "A B", plan = "p.json", version)] struct E {} },
            "`version` takes a number: `version = 2`",
        ),
        (
            parse_quote! { #[event(name = "A B", plan = "p.json", version = 99999999999999999999)] struct E {} },
            "a rule version is a whole number, as in `version = 2`",
        ),
        (
            parse_quote! { #[event(name = "A B", version = 2)] struct E {} },
            "`version` selects the version of the plan rule to check against",
        ),
    ];
    for (input, expected) in cases {
        let messages = error_messages(&expand_event(&input));
        assert!(
            messages.iter().any(|m| m.contains(expected)),
            "{expected:?} in {messages:?}"
        );
    }
}

#[test]
fn pii_fields_are_written_by_pii_field_with_their_policy() {
    let input: DeriveInput = parse_quote! {
        struct AccountOpened {
            #[property(pii)] email: String,
            #[property(pii = "hash")] phone: Option<String>,
            plan: String,
        }
    };
    let tokens = expand_event(&input);
    assert_eq!(error_messages(&tokens), Vec::<String>::new());
    let text = tokens.to_string().replace(' ', "");
    assert!(
        text.contains(
            r#"__writer.pii_field("\"email\":",&self.email,::trackplan::__private01::None)?;"#
        ),
        "{text}"
    );
    assert!(
        text.contains(r#"__writer.pii_field("\"phone\":",&self.phone,::trackplan::__private01::Some(::trackplan::PiiPolicy::Hash))?;"#),
        "{text}"
    );
    assert!(
        text.contains("::trackplan::__private01::require_hashable(&self.phone);"),
        "`hash` asserts a string: {text}"
    );
    assert!(
        text.contains(r#"__writer.field("\"plan\":",&self.plan)?;"#),
        "unmarked fields keep the plain writer: {text}"
    );
}

#[test]
fn unknown_pii_policies_and_pii_on_skipped_fields_are_errors() {
    let input: DeriveInput = parse_quote! {
        struct AccountOpened {
            #[property(pii = "encrypt")] email: String,
            #[property(skip, pii)] cache: String,
            #[property(pii, pii = "hash")] phone: String,
        }
    };
    let messages = error_messages(&expand_event(&input));
    assert_eq!(
        messages,
        [
            r#"unknown PII policy \"encrypt\"; use one of \"send\", \"hash\", \"redact\", \"refuse\", or just `pii` to follow the client's policy"#,
            "a `skip` field is not sent, so no PII policy applies to it: remove `pii` or `skip`",
            "duplicate `pii` in `#[property(...)]`: give it once",
        ],
        "{messages:#?}"
    );
}
