//! Open connections per client address (docs/threat-model.md G2): one address holding
//! idle keep-alives cannot take every slot of `MAX_CONNECTIONS`. Our own proxies
//! (`TRUSTED_PROXIES`) are exempt: every client behind them shares their address.

use crate::config::IpNetwork;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

#[derive(Debug)]
pub struct PerAddress {
    cap: usize,
    exempt: Vec<IpNetwork>,
    open: Mutex<HashMap<IpAddr, usize>>,
}

/// One admitted connection; counted until dropped.
#[derive(Debug)]
pub struct AddressSlot {
    owner: Arc<PerAddress>,
    address: Option<IpAddr>,
}

impl PerAddress {
    pub fn new(cap: usize, exempt: Vec<IpNetwork>) -> Arc<Self> {
        Arc::new(Self {
            cap,
            exempt,
            open: Mutex::new(HashMap::new()),
        })
    }

    /// A slot for a connection from `address`, or `None` when it holds its cap.
    pub fn admit(self: &Arc<Self>, address: IpAddr) -> Option<AddressSlot> {
        let address = address.to_canonical();
        if self.exempt.iter().any(|network| network.contains(address)) {
            return Some(AddressSlot {
                owner: Arc::clone(self),
                address: None,
            });
        }
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let count = open.entry(address).or_insert(0);
        if *count >= self.cap {
            return None;
        }
        *count += 1;
        Some(AddressSlot {
            owner: Arc::clone(self),
            address: Some(address),
        })
    }
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let Some(address) = self.address else { return };
        let mut open = self
            .owner
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = open.get_mut(&address) {
            *count -= 1;
            if *count == 0 {
                open.remove(&address);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_gets_its_cap_and_its_slots_back_while_proxies_are_exempt() {
        let limits = PerAddress::new(2, vec![IpNetwork::parse("10.0.0.0/8").unwrap()]);
        let client: IpAddr = "192.0.2.1".parse().unwrap();
        let first = limits.admit(client).unwrap();
        let _second = limits.admit(client).unwrap();
        assert!(limits.admit(client).is_none());
        assert!(limits.admit("192.0.2.2".parse().unwrap()).is_some());
        drop(first);
        assert!(limits.admit(client).is_some());
        let proxy: IpAddr = "10.1.1.1".parse().unwrap();
        let held: Vec<_> = (0..5).filter_map(|_| limits.admit(proxy)).collect();
        assert_eq!(held.len(), 5);
    }
}
