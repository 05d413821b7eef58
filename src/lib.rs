//! Root package: holds the workspace-level examples and end-to-end tests.
