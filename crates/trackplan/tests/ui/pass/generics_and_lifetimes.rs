// Lifetimes, type and const parameters, where clauses, raw identifiers and unit structs work.
#![deny(warnings)]

use std::borrow::Cow;

#[derive(trackplan::Event)]
#[event(name = "Page Section Viewed")]
struct SectionViewed<'a, T, const N: usize>
where
    T: Clone,
{
    title: &'a str,
    path: Cow<'a, str>,
    items: &'a [T],
    fixed: [u8; N],
    r#type: Option<&'a str>,
}

#[derive(trackplan::Properties)]
struct Wrapper<T> {
    inner: Option<T>,
}

#[derive(trackplan::Event)]
struct ApplicationOpened;

#[derive(trackplan::Enum)]
enum Empty {}

/// Generated items need no docs of their own, even where missing docs are denied.
#[deny(missing_docs)]
pub mod documented {
    /// A tier.
    #[derive(trackplan::Enum)]
    pub enum Tier {
        /// Free.
        Free,
    }
}

fn send<E: trackplan::Event>(_: &E) {}

fn main() {
    send(&SectionViewed::<u32, 2> {
        title: "t",
        path: Cow::Borrowed("/"),
        items: &[1],
        fixed: [0; 2],
        r#type: None,
    });
    send(&ApplicationOpened);
    let _: &dyn Fn(&Wrapper<String>) = &|w| {
        let _ = trackplan::Properties::write_properties(w, &mut Vec::new());
    };
    let _ = |e: &Empty| e.as_str();
    let _ = documented::Tier::Free.as_str();
}
