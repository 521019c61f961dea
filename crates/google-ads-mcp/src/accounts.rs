//! Which Google Ads accounts a user reaches, directly or through a manager, found
//! with `listAccessibleCustomers` and one `customer_client` query per accessible
//! account; and so which `login-customer-id` a query on an account needs.

use crate::api::{AdsApi, MAX_ROWS};
use crate::customer_id::CustomerId;
use google_mcp_common::GoogleApiError;
use mcp_auth_client::Token;
use serde::Serialize;
use serde_json::Value;

/// One account a user can query.
#[derive(Debug, Clone, Serialize)]
pub struct Account {
    /// The customer ID.
    #[serde(serialize_with = "as_digits")]
    pub id: CustomerId,
    /// `descriptive_name`.
    pub name: String,
    /// ISO 4217 code.
    pub currency_code: String,
    /// IANA time zone.
    pub time_zone: String,
    /// True for a manager (MCC) account.
    pub manager: bool,
    /// The manager to act through (`login-customer-id`); `None` for direct access.
    #[serde(serialize_with = "option_as_digits")]
    pub via_manager: Option<CustomerId>,
    /// Depth below the accessible account (0: the accessible account itself).
    pub level: u64,
    /// Why the account's details could not be read, when they could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// Every accessible manager the account was found under.
    #[serde(skip)]
    pub managers: Vec<CustomerId>,
}

/// Every account of a user, directly accessible ones first.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Accounts {
    /// The accounts, without duplicates.
    pub accounts: Vec<Account>,
}

/// The hierarchy below (and including) one accessible account.
const HIERARCHY_QUERY: &str = "SELECT customer_client.id, customer_client.descriptive_name, \
     customer_client.currency_code, customer_client.time_zone, customer_client.manager, \
     customer_client.level FROM customer_client";

impl Accounts {
    /// Asks Google for the user's accounts.
    pub async fn discover(api: &AdsApi, token: &Token) -> Result<Self, GoogleApiError> {
        let accessible = api.accessible_customers(token).await?;
        let mut accounts: Vec<Account> = Vec::new();
        let mut below: Vec<Account> = Vec::new();
        for root in &accessible {
            // Acting as the account itself needs no manager; its clients need it as login.
            match api
                .search(token, root, Some(root), HIERARCHY_QUERY, MAX_ROWS)
                .await
            {
                Ok(found) => {
                    for row in &found.rows {
                        let Some(account) = Self::from_row(row, root) else {
                            continue;
                        };
                        if account.level == 0 {
                            accounts.push(account);
                        } else {
                            below.push(account);
                        }
                    }
                }
                Err(error) if error.is_unauthenticated() => return Err(error),
                Err(error) => accounts.push(Account {
                    id: root.clone(),
                    name: String::new(),
                    currency_code: String::new(),
                    time_zone: String::new(),
                    manager: false,
                    via_manager: None,
                    level: 0,
                    managers: Vec::new(),
                    problem: Some(
                        error
                            .explain()
                            .lines()
                            .next()
                            .unwrap_or_default()
                            .to_owned(),
                    ),
                }),
            }
        }
        for account in below {
            match accounts.iter_mut().find(|known| known.id == account.id) {
                // Reachable through several managers (or also directly): remember each.
                Some(known) => known.managers.extend(account.managers),
                None => accounts.push(account),
            }
        }
        Ok(Self { accounts })
    }

    fn from_row(row: &Value, root: &CustomerId) -> Option<Account> {
        let client = &row["customerClient"];
        let id = CustomerId::parse(client["id"].as_str()?).ok()?;
        let level = client["level"]
            .as_str()
            .and_then(|level| level.parse().ok())
            .or_else(|| client["level"].as_u64())
            .unwrap_or(0);
        let text = |field: &str| client[field].as_str().unwrap_or_default().to_owned();
        Some(Account {
            via_manager: (level > 0).then(|| root.clone()),
            id,
            name: text("descriptiveName"),
            currency_code: text("currencyCode"),
            time_zone: text("timeZone"),
            manager: client["manager"].as_bool().unwrap_or(false),
            level,
            problem: None,
            managers: if level > 0 {
                vec![root.clone()]
            } else {
                Vec::new()
            },
        })
    }

    /// The account `id`, if the user reaches it.
    pub fn find(&self, id: &CustomerId) -> Option<&Account> {
        self.accounts.iter().find(|account| &account.id == id)
    }

    /// The `login-customer-id` for a query on `customer`: none for direct access; for
    /// a client, `configured` when it is one of its managers, else the first manager it
    /// was found under; for an account not found at all, `configured` (Google then
    /// says whether that works).
    pub fn login_for(
        &self,
        customer: &CustomerId,
        configured: Option<&CustomerId>,
    ) -> Option<CustomerId> {
        let Some(account) = self.find(customer) else {
            return configured.cloned();
        };
        if account.level == 0 {
            return None;
        }
        configured
            .filter(|manager| account.managers.contains(manager))
            .or(account.managers.first())
            .cloned()
    }

    /// Accounts whose name contains `text` (any case); exact name matches only when any.
    pub fn named(&self, text: &str) -> Vec<&Account> {
        let wanted = text.trim().to_lowercase();
        let exact: Vec<&Account> = self
            .accounts
            .iter()
            .filter(|account| account.name.to_lowercase() == wanted)
            .collect();
        if !exact.is_empty() {
            return exact;
        }
        self.accounts
            .iter()
            .filter(|account| account.name.to_lowercase().contains(&wanted))
            .collect()
    }
}

fn as_digits<S: serde::Serializer>(id: &CustomerId, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(id.digits())
}

#[expect(clippy::ref_option, reason = "serde's serialize_with passes &Option")]
fn option_as_digits<S: serde::Serializer>(
    id: &Option<CustomerId>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match id {
        Some(id) => serializer.serialize_str(id.digits()),
        None => serializer.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(id: &str, level: u64, managers: &[&str]) -> Account {
        Account {
            id: CustomerId::parse(id).unwrap(),
            name: format!("account {id}"),
            currency_code: "USD".into(),
            time_zone: "UTC".into(),
            manager: false,
            via_manager: managers.first().map(|m| CustomerId::parse(m).unwrap()),
            level,
            problem: None,
            managers: managers
                .iter()
                .map(|m| CustomerId::parse(m).unwrap())
                .collect(),
        }
    }

    #[test]
    fn clients_go_through_the_configured_manager_when_it_is_one_of_theirs() {
        let (first, second) = ("1111111111", "2222222222");
        let accounts = Accounts {
            accounts: vec![
                account("3333333333", 0, &[]),
                account("4444444444", 1, &[first, second]),
            ],
        };
        let id = |text: &str| CustomerId::parse(text).unwrap();
        let client = id("4444444444");
        assert_eq!(accounts.login_for(&client, None), Some(id(first)));
        assert_eq!(
            accounts.login_for(&client, Some(&id(second))),
            Some(id(second))
        );
        assert_eq!(
            accounts.login_for(&client, Some(&id("9999999999"))),
            Some(id(first))
        );
        // Direct access needs no manager, whatever is configured.
        assert_eq!(
            accounts.login_for(&id("3333333333"), Some(&id(first))),
            None
        );
        // Unknown accounts: the configured manager is the best guess.
        assert_eq!(
            accounts.login_for(&id("5555555555"), Some(&id(first))),
            Some(id(first))
        );
        assert_eq!(accounts.login_for(&id("5555555555"), None), None);
    }
}
