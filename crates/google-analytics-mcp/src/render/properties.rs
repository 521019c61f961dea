//! The accounts and properties a user can see, as a text table (one row per property)
//! and as structured content.

use crate::api::accounts::AccountSummary;
use crate::input::AccountId;
use crate::render::output::{PropertiesOutput, last_segment};
use google_mcp_common::Table;

/// Renders `accounts`; `filter` is the account the caller asked for, if any.
pub fn render_properties(
    accounts: &[AccountSummary],
    filter: Option<&AccountId>,
) -> (String, PropertiesOutput) {
    let properties: usize = accounts.iter().map(|a| a.property_summaries.len()).sum();
    let mut text = match (filter, accounts.first()) {
        (Some(wanted), None) => format!(
            "The signed-in user cannot see the Google Analytics account {wanted}. Call list_properties without account_id to list the accounts they can see."
        ),
        (None, None) => "The signed-in Google account has no access to any Google Analytics account. Ask an administrator of the account to add this user.".to_owned(),
        _ => format!(
            "{} Google Analytics account{} with {properties} GA4 propert{} (use the property ID in the report tools):\n\n",
            accounts.len(),
            if accounts.len() == 1 { "" } else { "s" },
            if properties == 1 { "y" } else { "ies" },
        ),
    };
    if !accounts.is_empty() {
        let mut table = Table::new(["Account", "Account ID", "Property", "Property ID", "Type"]);
        for account in accounts {
            let account_id = last_segment(&account.account);
            if account.property_summaries.is_empty() {
                table.push_row([
                    account.display_name.as_str(),
                    account_id,
                    "(no properties)",
                    "",
                    "",
                ]);
            }
            for property in &account.property_summaries {
                table.push_row([
                    account.display_name.as_str(),
                    account_id,
                    property.display_name.as_str(),
                    last_segment(&property.property),
                    property_type(property.property_type.as_deref()),
                ]);
            }
        }
        text.push_str(&table.render());
    }
    (text, PropertiesOutput::new(accounts))
}

fn property_type(kind: Option<&str>) -> &str {
    match kind {
        Some("PROPERTY_TYPE_ORDINARY") | None => "ordinary",
        Some("PROPERTY_TYPE_SUBPROPERTY") => "subproperty",
        Some("PROPERTY_TYPE_ROLLUP") => "roll-up",
        Some(other) => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::accounts::PropertySummary;

    fn accounts() -> Vec<AccountSummary> {
        vec![
            AccountSummary {
                account: "accounts/1000".into(),
                display_name: "Acme".into(),
                property_summaries: vec![PropertySummary {
                    property: "properties/200".into(),
                    display_name: "Acme Web".into(),
                    property_type: Some("PROPERTY_TYPE_ORDINARY".into()),
                }],
            },
            AccountSummary {
                account: "accounts/1001".into(),
                display_name: "Empty".into(),
                property_summaries: vec![],
            },
        ]
    }

    #[test]
    fn each_property_is_a_row_with_both_ids() {
        let (text, value) = render_properties(&accounts(), None);
        assert!(
            text.starts_with("2 Google Analytics accounts with 1 GA4 property"),
            "{text}"
        );
        assert!(
            text.contains("Acme    |       1000 | Acme Web        |         200 | ordinary"),
            "{text}"
        );
        assert!(text.contains("(no properties)"), "{text}");
        assert_eq!(value.accounts[0].properties[0].property_id, "200");
        assert_eq!(value.property_count, 1);
    }

    #[test]
    fn an_unknown_account_filter_says_how_to_find_the_right_one() {
        let wanted = AccountId::parse("42").unwrap();
        let (text, value) = render_properties(&[], Some(&wanted));
        assert!(
            text.contains("cannot see the Google Analytics account accounts/42"),
            "{text}"
        );
        assert_eq!(value.account_count, 0);
    }
}
