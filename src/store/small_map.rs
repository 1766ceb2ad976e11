//! A map that stays a short list while small: most clusters of a test run hold one user, one
//! token and one number.

use std::borrow::Borrow;
use std::collections::{HashMap, VecDeque};
use std::hash::Hash;

/// Most clusters of a test run see a handful of codes and requests: grow their queues one slot at
/// a time up to a few entries (instead of jumping to four), then double as usual.
pub fn grow_exactly_while_small<T>(queue: &mut VecDeque<T>) {
    const SMALL: usize = 8;
    if queue.len() == queue.capacity() && queue.len() < SMALL {
        queue.reserve_exact(1);
    }
}

/// The hasher of large maps: foldhash, several times cheaper than SipHash on short keys such as
/// phone numbers, seeded per process (minimal resistance to crafted collisions, enough for a test
/// service).
type Hasher = foldhash::fast::RandomState;

/// A map kept as a plain list while it holds a few entries, and as a hash map beyond: most
/// clusters of a test run have one user, one token and one number, and a hash map costs a few
/// hundred bytes in each of thousands of clusters, while a cluster that sees thousands of numbers
/// (a load test) still gets constant-time lookups.
#[derive(Debug, Clone)]
pub enum SmallMap<K, V> {
    /// Up to [`SmallMap::FEW`] entries, searched in order.
    Few(Vec<(K, V)>),
    /// More.
    Many(HashMap<K, V, Hasher>),
}

impl<K, V> Default for SmallMap<K, V> {
    fn default() -> Self {
        Self::Few(Vec::new())
    }
}

impl<K: Eq + Hash, V> SmallMap<K, V> {
    /// Entries kept as a list.
    pub const FEW: usize = 8;

    /// The value of `key`.
    pub fn get<Q: Eq + Hash + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        match self {
            Self::Few(list) => list.iter().find(|(k, _)| k.borrow() == key).map(|(_, v)| v),
            Self::Many(map) => map.get(key),
        }
    }

    /// The value of `key`, to change.
    pub fn get_mut<Q: Eq + Hash + ?Sized>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        match self {
            Self::Few(list) => list
                .iter_mut()
                .find(|(k, _)| (*k).borrow() == key)
                .map(|(_, v)| v),
            Self::Many(map) => map.get_mut(key),
        }
    }

    /// Whether `key` has a value.
    pub fn contains_key<Q: Eq + Hash + ?Sized>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.get(key).is_some()
    }

    /// Sets `key` to `value`.
    pub fn insert(&mut self, key: K, value: V) {
        if let Some(slot) = self.get_mut(key.borrow()) {
            *slot = value;
        } else {
            self.entry_with(key, || value);
        }
    }

    /// The value of `key`, inserting the default first if there is none.
    pub fn entry_or_default(&mut self, key: K) -> &mut V
    where
        V: Default,
    {
        self.entry_with(key, V::default)
    }

    fn entry_with(&mut self, key: K, make: impl FnOnce() -> V) -> &mut V {
        let promote = matches!(self, Self::Few(list)
            if list.len() >= Self::FEW && !list.iter().any(|(k, _)| *k == key));
        if promote && let Self::Few(list) = self {
            let map: HashMap<K, V, Hasher> = std::mem::take(list).into_iter().collect();
            *self = Self::Many(map);
        }
        match self {
            Self::Few(list) => {
                let i = match list.iter().position(|(k, _)| *k == key) {
                    Some(i) => i,
                    None => {
                        // Exact growth: most of these lists never hold more than one entry.
                        if list.len() == list.capacity() {
                            list.reserve_exact(1);
                        }
                        list.push((key, make()));
                        list.len() - 1
                    }
                };
                &mut list[i].1
            }
            Self::Many(map) => map.entry(key).or_insert_with(make),
        }
    }

    /// Removes `key`, returning its value.
    pub fn remove<Q: Eq + Hash + ?Sized>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        match self {
            Self::Few(list) => {
                let i = list.iter().position(|(k, _)| k.borrow() == key)?;
                Some(list.swap_remove(i).1)
            }
            Self::Many(map) => map.remove(key),
        }
    }

    /// Keeps the entries for which `keep` is true.
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        match self {
            Self::Few(list) => list.retain_mut(|(k, v)| keep(k, v)),
            Self::Many(map) => map.retain(|k, v| keep(k, v)),
        }
    }

    /// How many entries there are.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        match self {
            Self::Few(list) => list.len(),
            Self::Many(map) => map.len(),
        }
    }
}

impl<K: Eq + Hash, V> Extend<(K, V)> for SmallMap<K, V> {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, entries: I) {
        for (key, value) in entries {
            self.insert(key, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::SmallMap;

    #[test]
    fn a_small_map_behaves_as_a_map_on_both_sides_of_the_switch() {
        let mut map: SmallMap<u32, u32> = SmallMap::default();
        for i in 0..20 {
            map.insert(i, i);
            map.insert(i, i * 10);
            assert_eq!(map.len(), i as usize + 1);
            assert!(matches!(map, SmallMap::Few(_)) == (i < 8), "{i}");
        }
        assert_eq!(map.get(&7), Some(&70));
        *map.entry_or_default(7) += 1;
        *map.entry_or_default(99) += 5;
        assert_eq!((map.get(&7), map.get(&99)), (Some(&71), Some(&5)));
        assert_eq!(map.remove(&3), Some(30));
        assert_eq!(map.get(&3), None);
        map.retain(|k, _| k % 2 == 0);
        assert_eq!(map.len(), 10);
        assert!((0..20).all(|k| map.get(&k) == (k % 2 == 0).then_some(&(k * 10))));
        assert!(!map.contains_key(&99));
    }
}
