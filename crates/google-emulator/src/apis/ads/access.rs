//! Which customers an account may query: directly accessible ones, and the
//! clients of a manager when `login-customer-id` names that manager.

use crate::apis::model::AdsCustomer;

/// Customers not named as any manager's client: what
/// `listAccessibleCustomers` returns and what needs no `login-customer-id`.
pub(crate) fn directly_accessible(customers: &[AdsCustomer]) -> Vec<&AdsCustomer> {
    customers
        .iter()
        .filter(|c| !customers.iter().any(|m| m.client_ids.contains(&c.id)))
        .collect()
}

/// Why a customer could not be reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Denied {
    /// `login-customer-id` is not ten digits.
    BadLoginCustomerId,
    /// No access (missing or wrong `login-customer-id`, or unknown customer).
    NoPermission,
}

/// The customer `customer_id` as seen through `login_customer_id`.
pub(crate) fn resolve<'a>(
    customers: &'a [AdsCustomer],
    customer_id: &str,
    login_customer_id: Option<&str>,
) -> Result<&'a AdsCustomer, Denied> {
    let direct = directly_accessible(customers);
    let Some(login) = login_customer_id else {
        return direct
            .into_iter()
            .find(|c| c.id == customer_id)
            .ok_or(Denied::NoPermission);
    };
    if login.len() != 10 || !login.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Denied::BadLoginCustomerId);
    }
    let root = direct
        .into_iter()
        .find(|c| c.id == login)
        .ok_or(Denied::NoPermission)?;
    reachable(customers, root, customer_id).ok_or(Denied::NoPermission)
}

/// `target` if it is `root` or below it in the manager hierarchy.
fn reachable<'a>(
    customers: &'a [AdsCustomer],
    root: &'a AdsCustomer,
    target: &str,
) -> Option<&'a AdsCustomer> {
    let mut stack = vec![root];
    let mut seen: Vec<&str> = Vec::new();
    while let Some(current) = stack.pop() {
        if current.id == target {
            return Some(current);
        }
        if seen.contains(&current.id.as_str()) {
            continue;
        }
        seen.push(&current.id);
        stack.extend(
            current
                .client_ids
                .iter()
                .filter_map(|id| customers.iter().find(|c| &c.id == id)),
        );
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apis::fixtures::ids::{BLUE_HARBOR, MANAGER, NORTHWIND};
    use crate::apis::sample_ads_customers;

    #[test]
    fn clients_need_their_manager_as_login_customer() {
        let all = sample_ads_customers();
        let direct: Vec<&str> = directly_accessible(&all)
            .iter()
            .map(|c| c.id.as_str())
            .collect();
        assert_eq!(direct, [MANAGER, NORTHWIND]);
        assert_eq!(resolve(&all, BLUE_HARBOR, None), Err(Denied::NoPermission));
        assert_eq!(
            resolve(&all, BLUE_HARBOR, Some(MANAGER)).unwrap().id,
            BLUE_HARBOR
        );
        assert_eq!(
            resolve(&all, BLUE_HARBOR, Some(NORTHWIND)),
            Err(Denied::NoPermission)
        );
        assert_eq!(
            resolve(&all, BLUE_HARBOR, Some("123")),
            Err(Denied::BadLoginCustomerId)
        );
        assert_eq!(resolve(&all, NORTHWIND, None).unwrap().id, NORTHWIND);
        assert_eq!(
            resolve(&all, NORTHWIND, Some(MANAGER)),
            Err(Denied::NoPermission)
        );
        assert_eq!(resolve(&all, "9999999999", None), Err(Denied::NoPermission));
    }
}
