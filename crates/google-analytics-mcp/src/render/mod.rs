//! What the tools answer: text tables for people and models, structured content for
//! programs.

pub mod output;
pub mod properties;
pub mod report;
pub mod values;

pub use output::{PropertiesOutput, ReportOutput};
pub use properties::render_properties;
pub use report::{RenderedReport, ReportContext, render_report};
