//! Splits a query result into `search` pages (`nextPageToken`) or
//! `searchStream` batches, the only place page size matters.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::search::Executed;

/// What the request asked for besides the query.
#[derive(Debug)]
pub(crate) struct PageOptions<'a> {
    pub page_token: Option<&'a str>,
    pub total_count: bool,
    pub summary_row: bool,
    pub omit_results: bool,
}

/// Page tokens name the row offset and are bound to the query text, so a
/// token reused with another query is rejected like Google does.
fn token(offset: usize, query: &str) -> String {
    let digest = Sha256::digest(query.as_bytes());
    let tag = URL_SAFE_NO_PAD.encode(&digest[..6]);
    URL_SAFE_NO_PAD.encode(format!("{offset}:{tag}"))
}

fn offset_of(page_token: &str, query: &str) -> Option<usize> {
    let decoded = String::from_utf8(URL_SAFE_NO_PAD.decode(page_token).ok()?).ok()?;
    let (offset, _) = decoded.split_once(':')?;
    let offset: usize = offset.parse().ok()?;
    (token(offset, query) == page_token).then_some(offset)
}

/// One `googleAds:search` page; `Err(())` for a bad page token.
pub(crate) fn page(
    executed: Executed,
    query: &str,
    page_size: usize,
    options: &PageOptions<'_>,
) -> Result<Value, ()> {
    let total = executed.rows.len();
    let start = match options.page_token {
        Some(t) => offset_of(t, query).filter(|o| *o < total).ok_or(())?,
        None => 0,
    };
    let end = start.saturating_add(page_size).min(total);
    let mut out = Map::new();
    if !options.omit_results && end > start {
        out.insert(
            "results".into(),
            Value::Array(executed.rows[start..end].to_vec()),
        );
    }
    if end < total {
        out.insert("nextPageToken".into(), Value::String(token(end, query)));
    }
    if options.total_count && total > 0 {
        out.insert("totalResultsCount".into(), Value::String(total.to_string()));
    }
    out.insert("fieldMask".into(), Value::String(executed.field_mask));
    if options.summary_row
        && end == total
        && let Some(summary) = executed.summary_row
    {
        out.insert("summaryRow".into(), summary);
    }
    out.insert(
        "queryResourceConsumption".into(),
        Value::String(consumption(total)),
    );
    Ok(Value::Object(out))
}

/// A nominal cost that grows with the rows scanned.
fn consumption(rows: usize) -> String {
    (rows + 100).to_string()
}

/// `googleAds:searchStream`: a JSON array of batches of `page_size` rows,
/// each with `fieldMask` and `requestId`; the summary row, if asked for,
/// comes in a batch of its own at the end.
pub(crate) fn stream_batches(
    executed: Executed,
    page_size: usize,
    summary_setting: &str,
    request_id: &str,
) -> Value {
    let total = executed.rows.len();
    let mut batches: Vec<Value> = Vec::new();
    if summary_setting != "SUMMARY_ROW_ONLY" {
        for chunk in executed.rows.chunks(page_size.max(1)) {
            batches.push(json!({
                "results": chunk,
                "fieldMask": executed.field_mask,
                "requestId": request_id,
            }));
        }
        if batches.is_empty() {
            batches.push(json!({ "fieldMask": executed.field_mask, "requestId": request_id }));
        }
    }
    if summary_setting != "NO_SUMMARY_ROW" {
        let mut batch = json!({ "fieldMask": executed.field_mask, "requestId": request_id });
        if let Some(summary) = executed.summary_row {
            batch["summaryRow"] = summary;
        }
        batches.push(batch);
    }
    if let Some(Value::Object(last)) = batches.last_mut() {
        last.insert(
            "queryResourceConsumption".into(),
            Value::String(consumption(total)),
        );
    }
    Value::Array(batches)
}
