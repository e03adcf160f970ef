//! Input documents -> tantivy documents, with the Backstage document each
//! one answers with already built and stored.

use serde_json::{json, Value};
use tantivy::TantivyDocument;

use crate::doc::{DocPageDoc, EntityDoc, SectionDoc};
use crate::schema::{self, Fields, TYPE_CATALOG, TYPE_TECHDOCS};

pub(crate) fn entity_key(entity_ref: &str) -> String {
    format!("e:{}", entity_ref.to_lowercase())
}

pub(crate) fn docs_key(entity_ref: &str) -> String {
    format!("d:{}", entity_ref.to_lowercase())
}

/// Backstage's catalog collator shape: a missing type reads `other`,
/// missing lifecycle and owner read `""`.
pub(crate) fn entity_document(e: &EntityDoc) -> Value {
    let spec_type = e.spec_type.as_deref().unwrap_or("other");
    json!({
        "title": e.display_title(),
        "text": e.description.as_deref().unwrap_or(""),
        // The catalog's entity route lowercases the kind; name and
        // namespace are kept as written.
        "location": format!("/catalog/{}/{}/{}", e.namespace, e.kind.to_lowercase(), e.name),
        "kind": e.kind,
        "namespace": e.namespace,
        "name": e.name,
        "type": spec_type,
        "componentType": spec_type,
        "lifecycle": e.lifecycle.as_deref().unwrap_or(""),
        "owner": e.owner.as_deref().unwrap_or(""),
        "tags": e.tags,
    })
}

pub(crate) fn entity(f: &Fields, e: &EntityDoc) -> TantivyDocument {
    let mut d = TantivyDocument::new();
    d.add_text(f.key, entity_key(&e.entity_ref));
    d.add_text(f.doc_type, TYPE_CATALOG);
    d.add_text(f.entity_ref, &e.entity_ref);
    d.add_text(f.name, &e.name);
    d.add_text(f.name_exact, &e.name);
    d.add_text(f.name_prefix, schema::name_prefixes(&e.name));
    d.add_text(f.name_words, &e.name);
    if let Some(title) = &e.title {
        d.add_text(f.title, title);
        d.add_text(f.title_prefix, schema::word_prefixes([title.as_str()]));
        d.add_text(f.title_words, title);
    }
    if let Some(description) = &e.description {
        d.add_text(f.body, description);
    }
    let mut extra: Vec<&str> = vec![&e.kind, &e.namespace];
    extra.extend(e.tags.iter().map(String::as_str));
    extra.extend(
        [&e.spec_type, &e.owner, &e.lifecycle, &e.system]
            .into_iter()
            .filter_map(|o| o.as_deref()),
    );
    extra.push(&e.extra_text);
    d.add_text(f.extra, extra.join(" "));

    d.add_text(f.f_kind, &e.kind);
    d.add_text(f.f_namespace, &e.namespace);
    d.add_text(f.f_name, &e.name);
    d.add_text(f.f_type, e.spec_type.as_deref().unwrap_or("other"));
    if let Some(owner) = &e.owner {
        d.add_text(f.f_owner, owner);
    }
    if let Some(lifecycle) = &e.lifecycle {
        d.add_text(f.f_lifecycle, lifecycle);
    }
    for tag in &e.tags {
        d.add_text(f.f_tag, tag);
    }
    d.add_u64(f.group, 0);
    // Entities sort before the doc sections of the same name.
    let sort = format!(
        "{}\u{1}{}\u{1}0",
        e.name.to_lowercase(),
        e.entity_ref.to_lowercase()
    );
    d.add_u64(
        f.rank,
        schema::rank_value(schema::kind_prior(&e.kind), &sort),
    );
    d.add_text(f.sort, sort);
    d.add_text(f.doc, entity_document(e).to_string());
    d
}

/// The sections worth a document: empty ones are skipped, except that a
/// page always keeps one so its title can be found.
fn indexed_sections(page: &DocPageDoc) -> Vec<&SectionDoc> {
    let useful: Vec<&SectionDoc> = page
        .sections
        .iter()
        .filter(|s| !s.heading.trim().is_empty() || !s.text.trim().is_empty())
        .collect();
    if useful.is_empty() {
        page.sections.iter().take(1).collect()
    } else {
        useful
    }
}

pub(crate) fn section_location(page: &DocPageDoc, anchor: &str) -> String {
    // Backstage's TechDocs collator lowercases the entity part of the path.
    let base = format!(
        "/docs/{}/{}/{}/{}",
        page.namespace.to_lowercase(),
        page.kind.to_lowercase(),
        page.name.to_lowercase(),
        page.page_url.trim_start_matches('/'),
    );
    if anchor.is_empty() {
        base
    } else {
        format!("{base}#{anchor}")
    }
}

pub(crate) fn section_document(page: &DocPageDoc, s: &SectionDoc) -> Value {
    let title = if s.heading.trim().is_empty() {
        &page.page_title
    } else {
        &s.heading
    };
    json!({
        "title": title,
        "text": s.text,
        "location": section_location(page, &s.anchor),
        "kind": page.kind,
        "namespace": page.namespace,
        "name": page.name,
        "entityTitle": page.entity_title,
        "lifecycle": page.lifecycle.as_deref().unwrap_or(""),
        "owner": page.owner.as_deref().unwrap_or(""),
        "pageTitle": page.page_title,
    })
}

/// One tantivy document per section of the page. `entity_ref` is the ref
/// the docs are replaced and removed under (normally `page.entity_ref`).
pub(crate) fn page_sections(
    f: &Fields,
    entity_ref: &str,
    page: &DocPageDoc,
) -> Vec<TantivyDocument> {
    let entity_ref = entity_ref.to_lowercase();
    let key = docs_key(&entity_ref);
    let group = match schema::stable_hash(&[&entity_ref, &page.page_url]) {
        // 0 marks "not grouped" (entities).
        0 => 1,
        g => g,
    };
    let context = format!("{} {}", page.name, page.entity_title);
    let sort_base = format!(
        "{}\u{1}{entity_ref}\u{1}1{}",
        page.name.to_lowercase(),
        page.page_url
    );

    indexed_sections(page)
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            let mut d = TantivyDocument::new();
            d.add_text(f.key, &key);
            d.add_text(f.doc_type, TYPE_TECHDOCS);
            d.add_text(f.heading, &s.heading);
            d.add_text(f.page_title, &page.page_title);
            d.add_text(
                f.title_prefix,
                schema::word_prefixes([s.heading.as_str(), page.page_title.as_str()]),
            );
            d.add_text(f.title_words, &s.heading);
            d.add_text(f.body, &s.text);
            d.add_text(f.context, &context);
            d.add_text(f.f_kind, &page.kind);
            d.add_text(f.f_namespace, &page.namespace);
            d.add_text(f.f_name, &page.name);
            if let Some(owner) = &page.owner {
                d.add_text(f.f_owner, owner);
            }
            if let Some(lifecycle) = &page.lifecycle {
                d.add_text(f.f_lifecycle, lifecycle);
            }
            d.add_u64(f.group, group);
            let sort = format!("{sort_base}\u{1}{i:05}");
            d.add_u64(f.rank, schema::rank_value(schema::NEUTRAL_PRIOR, &sort));
            d.add_text(f.sort, sort);
            d.add_text(f.doc, section_document(page, s).to_string());
            d
        })
        .collect()
}
