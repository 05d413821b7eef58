//! `trackplan diff`: the changes between two plan versions, classified as breaking or compatible.
//!
//! Rules are matched by (call, wire name) on the normalised [`Plan`], so two files of the same
//! plan in different shapes (a Config API v1 file and its Public API v2 successor) compare by
//! content. Payload schemas are compared recursively: nested objects, array items, `$ref`s into
//! each side's definitions and `additionalProperties` schemas.
//!
//! A change is **breaking** when data valid under the old plan may be invalid under the new one,
//! or when a consumer loses something it relied on: an event or property removed or renamed, an
//! optional property (or payload) made required, a required property added, a type narrowed or
//! changed, an enum value removed or an enum introduced, `additionalProperties` closed, a
//! constraint tightened. Everything else is **compatible**.
//!
//! ```
//! use trackplan_plan::diff::{diff, ChangeKind};
//! use trackplan_plan::{Call, Plan, PlanShape, Rule};
//!
//! let plan = |payload: serde_json::Value| Plan {
//!     name: "Shop".into(),
//!     id: None,
//!     shape: PlanShape::PublicApi,
//!     rules: vec![Rule {
//!         call: Call::Track,
//!         name: "Order Completed".into(),
//!         version: Some(1),
//!         description: None,
//!         payload,
//!         payload_required: true,
//!         pointer: "/rules/0/jsonSchema/properties/properties".into(),
//!         definitions: Default::default(),
//!     }],
//! };
//! let old = plan(serde_json::json!({"properties": {"total": {"type": "number"}}}));
//! let new = plan(serde_json::json!({"properties": {"total": {"type": "integer"}}}));
//! let changes = diff(&old, &new);
//! assert_eq!(changes.changes[0].kind, ChangeKind::TypeNarrowed);
//! assert!(changes.has_breaking());
//! ```

mod compare;
mod render;

use std::fmt;

use crate::{Call, Plan};

/// Whether a change can break producers or consumers of the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Compatibility {
    /// Events valid under the old plan may fail under the new one, or consumers lose data.
    Breaking,
    /// Everything else.
    Compatible,
}

impl Compatibility {
    /// `breaking` or `compatible`, as in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Compatibility::Breaking => "breaking",
            Compatibility::Compatible => "compatible",
        }
    }
}

/// Every kind of change `diff` reports. [`ChangeKind::compatibility`] classifies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ChangeKind {
    // Breaking.
    /// A rule (call and wire name) of the old plan is not in the new one.
    EventRemoved,
    /// A property of the old plan is not in the new one (and no rename explains it).
    PropertyRemoved,
    /// One property removed and one added with the same schema, in the same object.
    PropertyRenamed,
    /// A new property that must be sent.
    RequiredPropertyAdded,
    /// An existing property (or a name `required` lists) must now be sent.
    PropertyMadeRequired,
    /// The payload itself must now be sent (Config API root `required: ["properties"]`).
    PayloadMadeRequired,
    /// The new type admits fewer values (`number` -> `integer`, `null` removed).
    TypeNarrowed,
    /// Old and new types do not contain each other (`string` -> `number`).
    TypeChanged,
    /// A value the enum (or `const`) accepted is gone.
    EnumValueRemoved,
    /// A property that took any value of its type now takes only listed values.
    EnumIntroduced,
    /// `additionalProperties: false` where undeclared properties were accepted.
    AdditionalPropertiesClosed,
    /// A bound raised or lowered, a pattern, format or `multipleOf` added or changed.
    ConstraintTightened,
    // Compatible.
    /// A rule of the new plan is not in the old one.
    EventAdded,
    /// A new optional property.
    PropertyAdded,
    /// A required property (or a name `required` listed) may now be omitted.
    PropertyMadeOptional,
    /// The payload may now be omitted.
    PayloadMadeOptional,
    /// The new type admits more values (`integer` -> `number`, `null` added).
    TypeWidened,
    /// The enum accepts one more value.
    EnumValueAdded,
    /// An enum dropped: any value of the type is now accepted.
    EnumLifted,
    /// Undeclared properties are accepted again.
    AdditionalPropertiesOpened,
    /// A bound relaxed or removed; a pattern, format or `multipleOf` removed.
    ConstraintLoosened,
    /// The rule's or a property's description changed.
    DescriptionChanged,
    /// The rule's `version` changed.
    VersionChanged,
}

impl ChangeKind {
    /// The stable kebab-case id (`property-removed`).
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::EventRemoved => "event-removed",
            ChangeKind::PropertyRemoved => "property-removed",
            ChangeKind::PropertyRenamed => "property-renamed",
            ChangeKind::RequiredPropertyAdded => "required-property-added",
            ChangeKind::PropertyMadeRequired => "property-made-required",
            ChangeKind::PayloadMadeRequired => "payload-made-required",
            ChangeKind::TypeNarrowed => "type-narrowed",
            ChangeKind::TypeChanged => "type-changed",
            ChangeKind::EnumValueRemoved => "enum-value-removed",
            ChangeKind::EnumIntroduced => "enum-introduced",
            ChangeKind::AdditionalPropertiesClosed => "additional-properties-closed",
            ChangeKind::ConstraintTightened => "constraint-tightened",
            ChangeKind::EventAdded => "event-added",
            ChangeKind::PropertyAdded => "property-added",
            ChangeKind::PropertyMadeOptional => "property-made-optional",
            ChangeKind::PayloadMadeOptional => "payload-made-optional",
            ChangeKind::TypeWidened => "type-widened",
            ChangeKind::EnumValueAdded => "enum-value-added",
            ChangeKind::EnumLifted => "enum-lifted",
            ChangeKind::AdditionalPropertiesOpened => "additional-properties-opened",
            ChangeKind::ConstraintLoosened => "constraint-loosened",
            ChangeKind::DescriptionChanged => "description-changed",
            ChangeKind::VersionChanged => "version-changed",
        }
    }

    /// Whether this kind of change is breaking.
    pub fn compatibility(self) -> Compatibility {
        match self {
            ChangeKind::EventRemoved
            | ChangeKind::PropertyRemoved
            | ChangeKind::PropertyRenamed
            | ChangeKind::RequiredPropertyAdded
            | ChangeKind::PropertyMadeRequired
            | ChangeKind::PayloadMadeRequired
            | ChangeKind::TypeNarrowed
            | ChangeKind::TypeChanged
            | ChangeKind::EnumValueRemoved
            | ChangeKind::EnumIntroduced
            | ChangeKind::AdditionalPropertiesClosed
            | ChangeKind::ConstraintTightened => Compatibility::Breaking,
            ChangeKind::EventAdded
            | ChangeKind::PropertyAdded
            | ChangeKind::PropertyMadeOptional
            | ChangeKind::PayloadMadeOptional
            | ChangeKind::TypeWidened
            | ChangeKind::EnumValueAdded
            | ChangeKind::EnumLifted
            | ChangeKind::AdditionalPropertiesOpened
            | ChangeKind::ConstraintLoosened
            | ChangeKind::DescriptionChanged
            | ChangeKind::VersionChanged => Compatibility::Compatible,
        }
    }
}

impl fmt::Display for ChangeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which of the two files a pointer refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The plan before the change.
    Old,
    /// The plan after the change.
    New,
}

impl Side {
    /// `old` or `new`, as in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Old => "old",
            Side::New => "new",
        }
    }
}

/// One classified change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// What kind of change; its [`ChangeKind::compatibility`] classifies it.
    pub kind: ChangeKind,
    /// The call of the rule that changed.
    pub call: Call,
    /// The rule's wire name.
    pub event: String,
    /// The property's path inside the payload (`products[].price`; `{}` stands for
    /// `additionalProperties`), `None` for changes to the rule itself.
    pub property: Option<String>,
    /// JSON pointer of what changed: into the old file for removals, else into the new one.
    pub pointer: String,
    /// Which file [`Change::pointer`] refers to.
    pub side: Side,
    /// What changed, in words (`number -> integer`).
    pub detail: String,
}

impl Change {
    /// Whether this change is breaking.
    pub fn compatibility(&self) -> Compatibility {
        self.kind.compatibility()
    }
}

/// All changes between two plans: rules in the old plan's order, then added rules in the new
/// plan's order; within a rule, in schema order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanDiff {
    /// The old plan's name.
    pub old_name: String,
    /// The new plan's name.
    pub new_name: String,
    /// Every change, classified.
    pub changes: Vec<Change>,
}

impl PlanDiff {
    /// How many changes are of `class`.
    pub fn count(&self, class: Compatibility) -> usize {
        self.changes
            .iter()
            .filter(|change| change.compatibility() == class)
            .count()
    }

    /// Whether anything is breaking (`trackplan diff` exits 1).
    pub fn has_breaking(&self) -> bool {
        self.count(Compatibility::Breaking) > 0
    }
}

/// Compare two versions of a plan.
pub fn diff(old: &Plan, new: &Plan) -> PlanDiff {
    PlanDiff {
        old_name: old.name.clone(),
        new_name: new.name.clone(),
        changes: compare::plans(old, new),
    }
}
