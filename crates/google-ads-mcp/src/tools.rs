//! What the tools do between parsing and replying: the Google calls (with the account
//! cache that decides `login-customer-id`) and the rendering of each result as a text
//! table plus structured content.

use crate::accounts::{Account, Accounts};
use crate::api::{AdsApi, MAX_ROWS, SearchRows};
use crate::customer_id::CustomerId;
use crate::date_range::DateRange;
use crate::reports::{self, Report};
use crate::rows;
use google_mcp_common::{GoogleApiError, GoogleAuth, Table, ToolFailure, UserPolicy};
use mcp_auth_client::{Token, ToolCall};
use rmcp::model::{CallToolResult, ContentBlock};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How long a user's account list is reused to pick `login-customer-id`.
const ACCOUNTS_TTL: Duration = Duration::from_mins(5);

/// A tool's answer: text for people and models, JSON for programs.
#[derive(Debug)]
pub struct Outcome {
    text: String,
    structured: Value,
}

impl Outcome {
    fn ok(text: String, structured: Value) -> Self {
        Self { text, structured }
    }

    /// The MCP tool result.
    pub fn into_result(self) -> CallToolResult {
        let mut result = CallToolResult::success(vec![ContentBlock::text(self.text)]);
        result.structured_content = Some(self.structured);
        result
    }
}

/// Rows of a query with what was known about the account.
pub struct Found {
    rows: SearchRows,
    account: Option<Account>,
    login: Option<CustomerId>,
}

type AccountCache = Mutex<HashMap<String, (Instant, Arc<Accounts>)>>;

/// What every clone of the server shares.
pub struct Shared {
    users: UserPolicy,
    google: GoogleAuth,
    api: AdsApi,
    login_customer_id: Option<CustomerId>,
    accounts: AccountCache,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("users", &self.users)
            .field("api", &self.api)
            .field("login_customer_id", &self.login_customer_id)
            .finish_non_exhaustive()
    }
}

impl Shared {
    pub(crate) fn new(
        users: UserPolicy,
        google: GoogleAuth,
        api: AdsApi,
        login_customer_id: Option<CustomerId>,
    ) -> Self {
        Self {
            users,
            google,
            api,
            login_customer_id,
            accounts: Mutex::default(),
        }
    }

    pub(crate) fn users(&self) -> &UserPolicy {
        &self.users
    }

    /// The user's accounts, asked from Google now (and cached).
    pub(crate) async fn fresh_accounts(
        &self,
        call: &ToolCall,
        user: &str,
    ) -> Result<Arc<Accounts>, ToolFailure> {
        self.google
            .with_token(call, user, |token| async move {
                self.discover(&token, user).await
            })
            .await
    }

    /// The user's accounts, from the cache while recent.
    pub(crate) async fn accounts(
        &self,
        call: &ToolCall,
        user: &str,
    ) -> Result<Arc<Accounts>, ToolFailure> {
        self.google
            .with_token(call, user, |token| async move {
                self.cached_accounts(&token, user).await
            })
            .await
    }

    async fn cached_accounts(
        &self,
        token: &Token,
        user: &str,
    ) -> Result<Arc<Accounts>, GoogleApiError> {
        let key = user.to_lowercase();
        let cached = self
            .accounts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
            .filter(|(at, _)| at.elapsed() < ACCOUNTS_TTL)
            .map(|(_, accounts)| Arc::clone(accounts));
        match cached {
            Some(accounts) => Ok(accounts),
            None => self.discover(token, user).await,
        }
    }

    async fn discover(&self, token: &Token, user: &str) -> Result<Arc<Accounts>, GoogleApiError> {
        let accounts = Arc::new(Accounts::discover(&self.api, token).await?);
        self.accounts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(user.to_lowercase(), (Instant::now(), Arc::clone(&accounts)));
        Ok(accounts)
    }

    /// Runs `query` on `customer`, through its manager when it has one.
    pub(crate) async fn search(
        &self,
        call: &ToolCall,
        user: &str,
        customer: &CustomerId,
        query: &str,
    ) -> Result<Found, ToolFailure> {
        let attempt = self
            .google
            .with_token(call, user, |token| async move {
                let accounts = self.cached_accounts(&token, user).await?;
                let login = accounts.login_for(customer, self.login_customer_id.as_ref());
                match self
                    .api
                    .search(&token, customer, login.as_ref(), query, MAX_ROWS)
                    .await
                {
                    // Only a 401 is retried with a fresh token; other errors are explained.
                    Err(error) if error.is_unauthenticated() => Err(error),
                    result => Ok((result, accounts.find(customer).cloned(), login)),
                }
            })
            .await?;
        let (result, account, login) = attempt;
        match result {
            Ok(rows) => Ok(Found {
                rows,
                account,
                login,
            }),
            Err(error) => Err(explain_search_error(
                &error,
                customer,
                account.as_ref(),
                user,
            )),
        }
    }
}

/// Google's error, plus what this server knows about the account when access failed.
fn explain_search_error(
    error: &GoogleApiError,
    customer: &CustomerId,
    account: Option<&Account>,
    user: &str,
) -> ToolFailure {
    let mut text = error.explain();
    if error.http_status() == Some(403) {
        match account {
            None => {
                let _ = write!(
                    text,
                    "\n\nCustomer {customer} is not among the Google Ads accounts {user} can access \
                     (list_accounts shows them; resolve_customer finds one by name)."
                );
            }
            Some(account) => {
                if let Some(manager) = &account.via_manager {
                    let _ = write!(
                        text,
                        "\n\nThe query went through manager account {manager}."
                    );
                }
            }
        }
    }
    ToolFailure::Message(text)
}

/// A GAQL query as given, if it is a SELECT (the API is read-only anyway; this gives a
/// clearer answer than Google's parser).
pub(crate) fn checked_query(query: &str) -> Result<&str, ToolFailure> {
    let query = query.trim();
    let is_select = query
        .get(..6)
        .is_some_and(|start| start.eq_ignore_ascii_case("SELECT"));
    if is_select {
        Ok(query)
    } else {
        Err(ToolFailure::message(
            "query must be a GAQL SELECT query, e.g. SELECT campaign.name, metrics.clicks FROM campaign \
             WHERE segments.date DURING LAST_7_DAYS",
        ))
    }
}

fn truncation_note(rows: &SearchRows) -> &'static str {
    if rows.truncated {
        "\nOnly the first 1000 rows are shown; Google has more. Narrow the query (WHERE, LIMIT) to see the rest."
    } else {
        ""
    }
}

fn account_label(customer: &CustomerId, account: Option<&Account>) -> String {
    match account {
        Some(account) if !account.name.is_empty() => format!("{} ({customer})", account.name),
        _ => customer.to_string(),
    }
}

/// `list_accounts`.
pub(crate) fn render_accounts(accounts: &Accounts) -> Outcome {
    let mut table = Table::new([
        "Customer ID",
        "Name",
        "Currency",
        "Time zone",
        "Type",
        "Access",
    ]);
    for account in &accounts.accounts {
        let kind = if account.manager {
            "manager"
        } else {
            "account"
        };
        let access = match (&account.via_manager, &account.problem) {
            (_, Some(problem)) => format!("not readable: {problem}"),
            (Some(manager), None) => format!("via manager {manager}"),
            (None, None) => "direct".to_owned(),
        };
        table.push_row([
            account.id.to_string(),
            account.name.clone(),
            account.currency_code.clone(),
            account.time_zone.clone(),
            kind.to_owned(),
            access,
        ]);
    }
    let text = format!("Google Ads accounts you can access:\n\n{}", table.render());
    Outcome::ok(
        text,
        json!({ "accounts": accounts.accounts, "count": accounts.accounts.len() }),
    )
}

/// `execute_gaql_query`.
pub(crate) fn render_query(customer: &CustomerId, query: &str, found: &Found) -> Outcome {
    let mut fields = rows::selected_fields(query);
    if fields.is_empty() {
        fields.push("resourceName".to_owned());
    }
    let mut table = Table::new(fields.iter().cloned());
    let mut structured = Vec::with_capacity(found.rows.rows.len());
    for row in &found.rows.rows {
        table.push_row(
            fields
                .iter()
                .map(|field| rows::cell(rows::value_at(row, field))),
        );
        structured.push(Value::Object(rows::flatten(row, &fields)));
    }
    let text = format!(
        "Query results for {}:\n\n{}{}",
        account_label(customer, found.account.as_ref()),
        table.render(),
        truncation_note(&found.rows)
    );
    Outcome::ok(
        text,
        json!({
            "customer_id": customer.digits(),
            "login_customer_id": found.login.as_ref().map(CustomerId::digits),
            "query": query,
            "columns": fields,
            "rows": structured,
            "row_count": found.rows.rows.len(),
            "truncated": found.rows.truncated,
            "row_cap": MAX_ROWS,
        }),
    )
}

/// The performance reports and `analytics_router`.
pub(crate) fn render_report(
    customer: &CustomerId,
    range: DateRange,
    report: &Report,
    found: &Found,
) -> Outcome {
    let (table, rows, totals) = report.render(&found.rows.rows);
    let account = found.account.as_ref();
    let currency = account
        .map(|a| a.currency_code.as_str())
        .filter(|c| !c.is_empty());
    let intent = report.intent();
    let period = if intent == reports::Intent::Images {
        String::new()
    } else {
        format!(", {}", range.as_gaql())
    };
    let mut text = format!(
        "Google Ads {} for {}{period}:\n\n{}",
        intent.name(),
        account_label(customer, account),
        table.render()
    );
    if let Some(totals) = &totals {
        text.push('\n');
        text.push_str(&reports::totals_line(totals, currency));
    }
    text.push_str(truncation_note(&found.rows));
    Outcome::ok(
        text,
        json!({
            "customer_id": customer.digits(),
            "intent": intent.name(),
            "date_range": range.as_gaql(),
            "currency_code": currency,
            "rows": rows,
            "row_count": rows.len(),
            "totals": totals,
            "truncated": found.rows.truncated,
            "query": report.query(),
        }),
    )
}

/// `resolve_customer`: by ID, then exact name, then part of a name.
pub(crate) fn resolve(
    accounts: &Accounts,
    wanted: &str,
    user: &str,
) -> Result<Outcome, ToolFailure> {
    let wanted = wanted.trim();
    if wanted.is_empty() {
        return Err(ToolFailure::message(
            "customer must be an account name or a customer ID.",
        ));
    }
    let matches: Vec<&Account> = match CustomerId::parse(wanted) {
        Ok(id) => accounts.find(&id).into_iter().collect(),
        Err(_) => accounts.named(wanted),
    };
    let listed = |found: &[&Account]| {
        found
            .iter()
            .map(|a| {
                format!(
                    "- {} ({}){}",
                    a.name,
                    a.id,
                    if a.manager { ", manager" } else { "" }
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    match matches.as_slice() {
        [] => {
            let all: Vec<&Account> = accounts.accounts.iter().collect();
            Err(ToolFailure::Message(format!(
                "No Google Ads account of {user} matches {wanted:?}. The accounts are:\n{}",
                listed(&all)
            )))
        }
        [one] => Ok(Outcome::ok(
            format!(
                "{wanted:?} is {} with customer ID {} ({}).",
                one.name,
                one.id,
                one.id.digits()
            ),
            json!({ "status": "resolved", "customer_id": one.id.digits(), "account": one }),
        )),
        several => Ok(Outcome::ok(
            format!(
                "{} accounts match {wanted:?}; ask which one is meant:\n{}",
                several.len(),
                listed(several)
            ),
            json!({ "status": "ambiguous", "matches": several }),
        )),
    }
}
