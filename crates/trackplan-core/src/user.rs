//! Who a message is about: a known user id or an anonymous id (Segment requires one of them).

/// The identity a call is made for.
///
/// ```
/// use trackplan_core::User;
/// let known = User::id("u1");
/// let visitor = User::anonymous("a1");
/// let both = User::id("u1").with_anonymous_id("a1");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct User {
    user_id: Option<String>,
    anonymous_id: Option<String>,
}

impl User {
    /// A known user, sent as `userId`.
    pub fn id(user_id: impl Into<String>) -> Self {
        User {
            user_id: Some(user_id.into()),
            anonymous_id: None,
        }
    }

    /// An anonymous visitor, sent as `anonymousId`.
    pub fn anonymous(anonymous_id: impl Into<String>) -> Self {
        User {
            user_id: None,
            anonymous_id: Some(anonymous_id.into()),
        }
    }

    /// Also send an `anonymousId` (to tie a visitor's history to a known user).
    pub fn with_anonymous_id(mut self, anonymous_id: impl Into<String>) -> Self {
        self.anonymous_id = Some(anonymous_id.into());
        self
    }

    pub fn user_id(&self) -> Option<&str> {
        self.user_id.as_deref()
    }

    pub fn anonymous_id(&self) -> Option<&str> {
        self.anonymous_id.as_deref()
    }
}
