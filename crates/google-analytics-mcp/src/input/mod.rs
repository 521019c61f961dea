//! Tool input turned into domain values before any call to Google ("parse, don't
//! validate"): once a tool holds these, the request it builds is well formed.

pub mod dates;
pub mod ids;
pub mod names;

pub use dates::{DateError, DateRange, ReportDate};
pub use ids::{AccountId, IdError, PropertyId};
pub use names::{FieldName, NameError, RowLimit};
