//! The Admin API v1beta `accountSummaries.list` wire types: one page of accounts, each
//! with the properties the user can see.

use serde::Deserialize;

/// The largest page the Admin API serves; asking for it keeps the page count low.
pub const PAGE_SIZE: u32 = 200;

/// One page of `accountSummaries.list`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountSummariesPage {
    #[serde(default)]
    pub account_summaries: Vec<AccountSummary>,
    /// Absent or empty on the last page.
    pub next_page_token: Option<String>,
}

/// An account and its properties.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountSummary {
    /// `accounts/1000`.
    #[serde(default)]
    pub account: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub property_summaries: Vec<PropertySummary>,
}

/// A property as the Admin API summarises it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PropertySummary {
    /// `properties/200`.
    #[serde(default)]
    pub property: String,
    #[serde(default)]
    pub display_name: String,
    /// `PROPERTY_TYPE_ORDINARY`, `PROPERTY_TYPE_SUBPROPERTY` or `PROPERTY_TYPE_ROLLUP`.
    pub property_type: Option<String>,
}

impl AccountSummariesPage {
    /// The token of the next page, if there is one.
    pub fn next_page(&self) -> Option<&str> {
        self.next_page_token
            .as_deref()
            .filter(|token| !token.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_page_is_read_and_an_empty_next_token_ends_the_list() {
        let page: AccountSummariesPage = serde_json::from_value(json!({
            "accountSummaries": [{
                "name": "accountSummaries/1000", "account": "accounts/1000",
                "displayName": "Acme",
                "propertySummaries": [{
                    "property": "properties/200", "displayName": "Acme Web",
                    "propertyType": "PROPERTY_TYPE_ORDINARY", "parent": "accounts/1000"
                }]
            }],
            "nextPageToken": ""
        }))
        .unwrap();
        assert_eq!(
            page.account_summaries[0].property_summaries[0].property,
            "properties/200"
        );
        assert_eq!(page.next_page(), None);
        let empty: AccountSummariesPage = serde_json::from_value(json!({})).unwrap();
        assert!(empty.account_summaries.is_empty());
    }
}
