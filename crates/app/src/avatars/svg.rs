//! What an SVG may cost before it is rasterised. An avatar needs shapes, paths, gradients and
//! clipping; the features whose cost grows without bound (filter effects, patterns, markers,
//! dashes, a DTD's entities) are refused, and the drawing is sized as the renderer will see it:
//! every element counted once for each place it is drawn, `<use>` and `url(#…)` references
//! expanded, so that a small file of nested fan-outs is refused instead of being multiplied out.

use std::collections::HashMap;

use roxmltree::{Document, Node, NodeId, ParsingOptions};

/// Most XML nodes a file may hold (elements, text, comments).
const MAX_NODES: u32 = 40_000;
/// Deepest nesting of elements (the renderer walks the tree recursively).
const MAX_DEPTH: usize = 40;
/// Longest chain of references (`<use>` of a `<use>` of ...).
const MAX_REFERENCE_DEPTH: usize = 8;
/// The most drawing work a file may ask for: [`ELEMENT_COST`] for every element drawn, and one
/// more for every [`PATH_BYTES_PER_UNIT`] bytes of path data. Measured on a release build, the
/// dearest drawings within it (3,800 full-size translucent stroked circles, 320 KB of one
/// stroked path) rasterise in about a second.
pub const MAX_COST: u64 = 20_000;
const ELEMENT_COST: u64 = 5;
/// What an embedded picture costs each time it is drawn (decoding it, at most 1024x1024, takes
/// about as long as drawing 400 shapes): ten drawings at most.
const IMAGE_COST: u64 = 2_000;
/// Most `<image>` elements in a file.
const MAX_IMAGES: usize = 4;
const PATH_BYTES_PER_UNIT: u64 = 16;
/// Most bytes of `<style>` sheets.
const MAX_STYLE_BYTES: usize = 64 * 1024;

/// Elements whose cost has no useful bound (or that have no business in a picture).
const REFUSED_ELEMENTS: &[&str] = &["filter", "pattern", "marker", "foreignObject", "script", "iframe", "animate"];
/// Properties that bring those features in, as attributes or in style.
const REFUSED_PROPERTIES: &[&str] =
    &["filter", "marker", "marker-start", "marker-mid", "marker-end", "stroke-dasharray", "enable-background"];

/// Why an SVG is refused (for the log; users see "Unsupported or corrupt image").
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Not UTF-8, not well-formed, has a DTD, or too many nodes.
    Malformed,
    /// Nested deeper than [`MAX_DEPTH`].
    TooDeep,
    /// Uses a feature from [`REFUSED_ELEMENTS`] or [`REFUSED_PROPERTIES`].
    Feature(String),
    /// A reference that leads back to itself, or a chain longer than [`MAX_REFERENCE_DEPTH`].
    ReferenceLoop,
    /// More drawing work than [`MAX_COST`].
    TooCostly,
}

/// Checks that rasterising `bytes` costs a bounded amount of time and memory.
pub fn check(bytes: &[u8]) -> Result<(), Refusal> {
    let text = std::str::from_utf8(bytes).map_err(|_| Refusal::Malformed)?;
    let options = ParsingOptions { allow_dtd: false, nodes_limit: MAX_NODES, ..ParsingOptions::default() };
    let doc = Document::parse_with_options(text, options).map_err(|_| Refusal::Malformed)?;

    // Depth of each element, by node id; a parent comes before its children in document order.
    let mut depths = vec![0usize; doc.descendants().count() + 1];
    let mut ids = HashMap::new();
    let mut style_refs = Vec::new();
    let mut style_bytes = 0usize;
    let mut elements = 0u64;
    let mut images = 0usize;
    for node in doc.descendants().filter(Node::is_element) {
        let depth = node.parent_element().map_or(0, |p| depths.get(p.id().get_usize()).copied().unwrap_or(0)) + 1;
        if depth > MAX_DEPTH {
            return Err(Refusal::TooDeep);
        }
        if let Some(slot) = depths.get_mut(node.id().get_usize()) {
            *slot = depth;
        }
        elements += 1;
        let name = node.tag_name().name();
        if name == "image" {
            images += 1;
            if images > MAX_IMAGES {
                return Err(Refusal::TooCostly);
            }
        }
        if refused_element(name) {
            return Err(Refusal::Feature(name.to_owned()));
        }
        for attribute in node.attributes() {
            if REFUSED_PROPERTIES.contains(&attribute.name()) && attribute.value().trim() != "none" {
                return Err(Refusal::Feature(attribute.name().to_owned()));
            }
            if attribute.name() == "style" {
                refused_in_style(attribute.value())?;
            }
        }
        if let Some(id) = node.attribute("id") {
            ids.insert(id, node.id());
        }
        if name == "style" {
            let sheet: String = node.children().filter_map(|c| c.text()).collect();
            style_bytes += sheet.len();
            if style_bytes > MAX_STYLE_BYTES {
                return Err(Refusal::TooCostly);
            }
            refused_in_style(&sheet)?;
            style_refs.extend(local_urls(&sheet).map(str::to_owned));
        }
    }

    let mut costs = Costs { doc: &doc, ids: &ids, memo: HashMap::new() };
    let mut total = costs.of(doc.root_element(), 0)?;
    // A rule in a style sheet may apply to every element.
    for id in &style_refs {
        if let Some(&target) = ids.get(id.as_str()) {
            let each = costs.of(doc.get_node(target).ok_or(Refusal::Malformed)?, 1)?;
            total = total.saturating_add(each.saturating_mul(elements));
        }
    }
    if total > MAX_COST { Err(Refusal::TooCostly) } else { Ok(()) }
}

fn refused_element(name: &str) -> bool {
    REFUSED_ELEMENTS.iter().any(|r| r.eq_ignore_ascii_case(name))
        || (name.len() > 2 && name[..2].eq_ignore_ascii_case("fe"))
        || name.starts_with("animate")
        || name == "set"
}

fn refused_in_style(style: &str) -> Result<(), Refusal> {
    let lower = style.to_ascii_lowercase();
    for property in REFUSED_PROPERTIES {
        // `filter:`, `marker-end :` ... but not `fill:` or a class named `.filtered`.
        let mut rest = lower.as_str();
        while let Some(at) = rest.find(property) {
            let before = rest[..at].chars().next_back();
            let after = rest[at + property.len()..].trim_start();
            if !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '#')
                && after.starts_with(':')
                && !after[1..].trim_start().starts_with("none")
            {
                return Err(Refusal::Feature((*property).to_owned()));
            }
            rest = &rest[at + property.len()..];
        }
    }
    Ok(())
}

/// The ids named by `url(#id)` in `value`.
fn local_urls(value: &str) -> impl Iterator<Item = &str> {
    value.split("url(").skip(1).filter_map(|rest| {
        let inner = rest.split(')').next()?.trim().trim_matches(|c| c == '"' || c == '\'');
        inner.strip_prefix('#')
    })
}

struct Costs<'a, 'input> {
    doc: &'a Document<'input>,
    ids: &'a HashMap<&'a str, NodeId>,
    /// `None` while an element's cost is being worked out: meeting it again is a loop.
    memo: HashMap<NodeId, Option<u64>>,
}

impl Costs<'_, '_> {
    /// What drawing `node` costs, everything it references included.
    fn of(&mut self, node: Node<'_, '_>, references: usize) -> Result<u64, Refusal> {
        match self.memo.get(&node.id()) {
            Some(Some(cost)) => return Ok(*cost),
            Some(None) => return Err(Refusal::ReferenceLoop),
            None => {}
        }
        if references > MAX_REFERENCE_DEPTH {
            return Err(Refusal::ReferenceLoop);
        }
        self.memo.insert(node.id(), None);
        let data = node.attribute("d").map_or(0, str::len) + node.attribute("points").map_or(0, str::len);
        let own = if node.tag_name().name() == "image" { IMAGE_COST } else { ELEMENT_COST };
        let mut cost = own + data as u64 / PATH_BYTES_PER_UNIT;
        for child in node.children().filter(Node::is_element) {
            cost = cost.saturating_add(self.of(child, references)?);
            if cost > MAX_COST {
                return Err(Refusal::TooCostly);
            }
        }
        let mut targets: Vec<&str> = Vec::new();
        for attribute in node.attributes() {
            match attribute.name() {
                "href" => targets.extend(attribute.value().trim().strip_prefix('#')),
                _ => targets.extend(local_urls(attribute.value())),
            }
        }
        for target in targets {
            let Some(&id) = self.ids.get(target) else { continue };
            let Some(referenced) = self.doc.get_node(id) else { continue };
            cost = cost.saturating_add(self.of(referenced, references + 1)?);
            if cost > MAX_COST {
                return Err(Refusal::TooCostly);
            }
        }
        self.memo.insert(node.id(), Some(cost));
        Ok(cost)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn svg(body: &str) -> Vec<u8> {
        format!(r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10">{body}</svg>"#).into_bytes()
    }

    #[test]
    fn an_ordinary_logo_passes() {
        let logo = svg(
            r##"<defs><linearGradient id="g"><stop offset="0" stop-color="#f00"/><stop offset="1" stop-color="#00f"/></linearGradient>
            <clipPath id="c"><circle cx="5" cy="5" r="5"/></clipPath></defs>
            <style>.a{fill:url(#g)}</style>
            <g clip-path="url(#c)"><rect class="a" width="10" height="10"/><path d="M0 0L10 10" stroke="#000"/></g>
            <use href="#c"/><text x="1" y="9">Hi</text>"##,
        );
        assert_eq!(check(&logo), Ok(()));
    }

    #[test]
    fn filters_patterns_markers_and_dashes_are_refused() {
        let turbulence = svg(
            r#"<filter id="f"><feTurbulence baseFrequency="0.05" numOctaves="1000000"/></filter><rect width="10" height="10" filter="url(#f)"/>"#,
        );
        assert_eq!(check(&turbulence), Err(Refusal::Feature("filter".into())));
        assert!(matches!(
            check(&svg(r#"<rect width="1" height="1" style="filter: url(#f)"/>"#)),
            Err(Refusal::Feature(_))
        ));
        assert!(matches!(check(&svg(r#"<style>rect { marker-end : url(#m) }</style>"#)), Err(Refusal::Feature(_))));
        assert!(matches!(check(&svg(r#"<pattern id="p"/>"#)), Err(Refusal::Feature(_))));
        assert!(matches!(check(&svg(r#"<path d="M0 0L9 9" stroke-dasharray="0.001"/>"#)), Err(Refusal::Feature(_))));
        // A property named like one of them is not one of them.
        assert_eq!(
            check(&svg(r#"<rect class="filtered" style="fill: red" filter="none" width="1" height="1"/>"#)),
            Ok(())
        );
    }

    #[test]
    fn nested_fan_outs_are_refused_before_they_multiply() {
        // Ten levels of ten uses each: 10^10 rectangles from a file of about a kilobyte.
        let mut body = String::from(r#"<rect id="l0" width="1" height="1"/>"#);
        for level in 1..=10 {
            body.push_str(&format!(r#"<g id="l{level}">"#));
            for _ in 0..10 {
                body.push_str(&format!(r##"<use href="#l{}"/>"##, level - 1));
            }
            body.push_str("</g>");
        }
        assert_eq!(check(&svg(&body)), Err(Refusal::TooCostly));
    }

    #[test]
    fn embedded_pictures_are_few_and_drawn_a_few_times_at_most() {
        let one = r#"<image id="p" href="data:image/png;base64,AAAA" width="5" height="5"/>"#;
        assert_eq!(check(&svg(one)), Ok(()));
        assert_eq!(check(&svg(&one.replace(r#"id="p" "#, "").repeat(5))), Err(Refusal::TooCostly));
        let reused = format!("{one}{}", r##"<use href="#p"/>"##.repeat(12));
        assert_eq!(check(&svg(&reused)), Err(Refusal::TooCostly));
    }

    #[test]
    fn deep_nesting_loops_and_doctypes_are_refused() {
        let deep = svg(&format!("{}{}", "<g>".repeat(10_000), "</g>".repeat(10_000)));
        assert_eq!(check(&deep), Err(Refusal::TooDeep));
        let looped = svg(r##"<g id="a"><use href="#b"/></g><g id="b"><use xlink:href="#a"/></g>"##);
        assert_eq!(check(&looped), Err(Refusal::ReferenceLoop));
        let laughs = br#"<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><svg xmlns="http://www.w3.org/2000/svg">&b;</svg>"#;
        assert_eq!(check(laughs), Err(Refusal::Malformed));
    }
}
