//! `trackplan diff`: the changes between two plan versions, classified as breaking or compatible.
