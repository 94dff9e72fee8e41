//! Page numbers and the row of page links under a listing.

/// A 1-based page number taken from `?page=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct PageNumber(u64);

/// `?page=` was not a positive integer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("page must be a positive integer")]
pub struct PageError;

impl PageNumber {
    /// The first page.
    pub const FIRST: Self = Self(1);

    /// Reads `?page=`: absent means the first page; anything but a positive integer is an error.
    pub fn parse(raw: Option<&str>) -> Result<Self, PageError> {
        match raw {
            None => Ok(Self::FIRST),
            Some(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
                s.parse::<u64>().ok().filter(|&n| n >= 1).map(Self).ok_or(PageError)
            }
            Some(_) => Err(PageError),
        }
    }

    /// The number, 1 or more.
    pub fn get(self) -> u64 {
        self.0
    }

    /// How many rows come before this page at `per_page` a page (saturating: a page number
    /// too large for any listing stays past its end).
    pub fn offset(self, per_page: u64) -> u64 {
        self.0.saturating_sub(1).saturating_mul(per_page)
    }
}

/// One entry in the row of page links: a page, or a gap shown as an ellipsis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PageLink {
    /// A link to page `number`; `current` marks the page on screen.
    Page {
        /// The page it leads to.
        number: u64,
        /// Whether it is the page being shown.
        current: bool,
    },
    /// Pages left out.
    Gap,
}

/// Where a page sits in a listing of `total_items` rows shown `per_page` at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Pagination {
    /// The page shown.
    pub page: u64,
    /// Rows per page.
    pub per_page: u64,
    /// Rows in the whole listing.
    pub total_items: u64,
    /// Pages in the whole listing; an empty listing still has its one, empty, page.
    pub total_pages: u64,
}

impl Pagination {
    /// Pages kept at the left edge of the link row.
    pub const LEFT_EDGE: u64 = 1;
    /// Pages kept at the right edge.
    pub const RIGHT_EDGE: u64 = 1;
    /// Pages kept before the current one.
    pub const LEFT_CURRENT: u64 = 1;
    /// Pages kept after the current one.
    pub const RIGHT_CURRENT: u64 = 2;

    /// Places `page` in the listing, or `None` when the listing has no such page.
    pub fn new(page: PageNumber, per_page: u64, total_items: u64) -> Option<Self> {
        let per_page = per_page.max(1);
        let total_pages = total_items.div_ceil(per_page).max(1);
        (page.get() <= total_pages).then_some(Self { page: page.get(), per_page, total_items, total_pages })
    }

    /// Rows to skip to reach this page.
    pub fn offset(&self) -> u64 {
        (self.page - 1) * self.per_page
    }

    /// The previous page, if any.
    pub fn prev(&self) -> Option<u64> {
        (self.page > 1).then(|| self.page - 1)
    }

    /// The next page, if any.
    pub fn next(&self) -> Option<u64> {
        (self.page < self.total_pages).then(|| self.page + 1)
    }

    /// The row of links: the first page, the current page with one before and two after, the
    /// last page, and a gap wherever pages are left out between them.
    pub fn links(&self) -> Vec<PageLink> {
        let (page, last) = (self.page, self.total_pages);
        // Only the shown numbers are visited (the edges and the window around the current page),
        // so the cost does not grow with the number of pages.
        let left = 1..=Self::LEFT_EDGE.min(last);
        let around =
            page.saturating_sub(Self::LEFT_CURRENT).max(1)..=page.saturating_add(Self::RIGHT_CURRENT).min(last);
        let right = last.saturating_sub(Self::RIGHT_EDGE).saturating_add(1).max(1)..=last;
        let mut shown: Vec<u64> = left.chain(around).chain(right).collect();
        shown.sort_unstable();
        shown.dedup();
        let mut links = Vec::with_capacity(shown.len() * 2);
        let mut previous = 0;
        for n in shown {
            if n > previous + 1 {
                links.push(PageLink::Gap);
            }
            links.push(PageLink::Page { number: n, current: n == page });
            previous = n;
        }
        links
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_starts_after_the_rows_of_the_pages_before_it_and_huge_pages_saturate() {
        assert_eq!(PageNumber::FIRST.offset(5), 0);
        assert_eq!(PageNumber::parse(Some("3")).unwrap().offset(5), 10);
        assert_eq!(PageNumber::parse(Some("18446744073709551615")).unwrap().offset(5), u64::MAX);
    }

    /// The rule stated directly: every page number, shown or folded into a gap.
    fn links_by_visiting_every_page(p: &Pagination) -> Vec<PageLink> {
        let (page, last) = (p.page, p.total_pages);
        let shown = |n: u64| {
            n <= Pagination::LEFT_EDGE
                || n > last.saturating_sub(Pagination::RIGHT_EDGE)
                || (n + Pagination::LEFT_CURRENT >= page && n <= page + Pagination::RIGHT_CURRENT)
        };
        let mut links = Vec::new();
        for n in 1..=last {
            if shown(n) {
                links.push(PageLink::Page { number: n, current: n == page });
            } else if links.last() != Some(&PageLink::Gap) {
                links.push(PageLink::Gap);
            }
        }
        links
    }

    #[test]
    fn links_match_the_rule_for_every_page_of_small_and_large_listings() {
        for total_pages in (1..=12).chain([100, 200_000]) {
            for page in (1..=total_pages.min(12)).chain([total_pages / 2, total_pages - 1, total_pages]) {
                let Some(page) = PageNumber::parse(Some(&page.max(1).to_string())).ok() else { continue };
                let p = Pagination::new(page, 1, total_pages).unwrap();
                assert_eq!(p.links(), links_by_visiting_every_page(&p), "page {} of {total_pages}", p.page);
            }
        }
    }

    fn row(page: u64, total_pages: u64) -> String {
        let p = Pagination::new(PageNumber::parse(Some(&page.to_string())).unwrap(), 1, total_pages).unwrap();
        p.links()
            .iter()
            .map(|l| match l {
                PageLink::Page { number, current: true } => format!("[{number}]"),
                PageLink::Page { number, .. } => number.to_string(),
                PageLink::Gap => "…".into(),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn page_numbers_must_be_positive_integers() {
        assert_eq!(PageNumber::parse(None), Ok(PageNumber::FIRST));
        assert_eq!(PageNumber::parse(Some("3")).map(PageNumber::get), Ok(3));
        for bad in ["0", "-1", "+2", "abc", "1.5", "", " 1", "99999999999999999999999"] {
            assert_eq!(PageNumber::parse(Some(bad)), Err(PageError), "{bad:?}");
        }
    }

    #[test]
    fn an_empty_listing_has_one_empty_page() {
        let p = Pagination::new(PageNumber::FIRST, 5, 0).unwrap();
        assert_eq!((p.total_pages, p.offset(), p.prev(), p.next()), (1, 0, None, None));
        assert!(Pagination::new(PageNumber::parse(Some("2")).unwrap(), 5, 0).is_none());
    }

    #[test]
    fn pages_past_the_last_do_not_exist() {
        assert!(Pagination::new(PageNumber::parse(Some("3")).unwrap(), 5, 10).is_none());
        let last = Pagination::new(PageNumber::parse(Some("3")).unwrap(), 5, 11).unwrap();
        assert_eq!((last.offset(), last.next(), last.prev()), (10, None, Some(2)));
    }

    #[test]
    fn the_link_row_keeps_edges_and_neighbours_and_marks_the_current_page() {
        assert_eq!(row(1, 1), "[1]");
        assert_eq!(row(1, 4), "[1] 2 3 4");
        assert_eq!(row(1, 10), "[1] 2 3 … 10");
        assert_eq!(row(5, 10), "1 … 4 [5] 6 7 … 10");
        assert_eq!(row(3, 10), "1 2 [3] 4 5 … 10");
        assert_eq!(row(8, 10), "1 … 7 [8] 9 10");
        assert_eq!(row(10, 10), "1 … 9 [10]");
    }
}
