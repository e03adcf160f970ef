use serde_json::json;

use crate::app::{assert_error, names, relation_targets, seed, TestApp};

#[test]
fn by_query_returns_components_with_owner_relations_both_ways() {
    for app in TestApp::all() {
        seed(&app);
        let r = app.get(
            "/api/catalog/entities/by-query?filter=kind=component&orderField=metadata.name,asc",
        );
        assert_eq!(r.status, 200);
        assert_eq!(names(&r.body["items"]), vec!["playlist-service", "web-app"]);
        assert_eq!(r.body["totalItems"], 2);
        for item in r.body["items"].as_array().unwrap() {
            assert_eq!(
                relation_targets(item, "ownedBy"),
                vec!["group:default/team-a"]
            );
            assert!(item["metadata"]["uid"].is_string());
            assert!(item["metadata"]["etag"].is_string());
            // Older clients read `target` too.
            assert_eq!(item["relations"][0]["target"]["namespace"], "default");
        }
        let group = app
            .get("/api/catalog/entities/by-name/group/default/team-a")
            .body;
        let mut owned = relation_targets(&group, "ownerOf");
        owned.sort();
        assert_eq!(
            owned,
            vec![
                "api:default/playlist-api",
                "component:default/playlist-service",
                "component:default/web-app",
                "resource:default/playlist-db"
            ]
        );
        assert_eq!(
            relation_targets(&group, "hasMember"),
            vec!["user:default/jane"]
        );
        let api = app
            .get("/api/catalog/entities/by-name/api/default/playlist-api")
            .body;
        assert_eq!(
            relation_targets(&api, "apiProvidedBy"),
            vec!["component:default/playlist-service"]
        );
        assert_eq!(
            relation_targets(&api, "apiConsumedBy"),
            vec!["component:default/web-app"]
        );
        let db = app
            .get("/api/catalog/entities/by-name/resource/default/playlist-db")
            .body;
        assert_eq!(
            relation_targets(&db, "dependencyOf"),
            vec!["component:default/playlist-service"]
        );
    }
}

#[test]
fn entities_list_filters_orders_selects_fields_and_paginates() {
    for app in TestApp::all() {
        seed(&app);
        let r = app.get("/api/catalog/entities?filter=kind=component,spec.lifecycle=production&filter=kind=api&fields=metadata.name,kind&order=desc:metadata.name");
        assert_eq!(r.status, 200);
        assert_eq!(names(&r.body), vec!["playlist-service", "playlist-api"]);
        assert_eq!(
            r.body[0],
            json!({ "kind": "Component", "metadata": { "name": "playlist-service" } })
        );

        // Case-insensitive, array fields match any element, `key` alone = exists.
        let r = app.get("/api/catalog/entities?filter=metadata.tags=RUST");
        assert_eq!(names(&r.body), vec!["playlist-service"]);
        let r = app.get("/api/catalog/entities?filter=spec.providesApis&fields=metadata.name");
        assert_eq!(names(&r.body), vec!["playlist-service"]);
        let r = app.get("/api/catalog/entities?filter=relations.ownedBy=group:default/team-a&order=asc:metadata.name&fields=metadata.name");
        assert_eq!(
            names(&r.body),
            vec!["playlist-api", "playlist-db", "playlist-service", "web-app"]
        );

        // Pagination with the Link header, to the end.
        let mut seen = Vec::new();
        let mut next = Some(
            "/api/catalog/entities?order=asc:metadata.name&limit=3&fields=metadata.name"
                .to_string(),
        );
        while let Some(url) = next.take() {
            let r = app.get(&url);
            assert_eq!(r.status, 200, "{}", r.body);
            seen.extend(names(&r.body));
            next = r.link.map(|l| {
                let start = l.find('<').unwrap() + 1;
                let end = l.find('>').unwrap();
                l[start..end].to_string()
            });
        }
        let all = names(
            &app.get("/api/catalog/entities?order=asc:metadata.name")
                .body,
        );
        assert_eq!(seen, all);
        assert!(all.len() >= 8, "{all:?}");
    }
}

#[test]
fn by_query_cursors_walk_every_item_once_and_carry_the_query() {
    for app in TestApp::all() {
        seed(&app);
        let first = app.get("/api/catalog/entities/by-query?filter=kind=component&filter=kind=api&filter=kind=resource&limit=2&orderField=metadata.name,asc");
        assert_eq!(first.body["totalItems"], 4);
        assert!(first.body["pageInfo"]["prevCursor"].is_null());
        let mut seen = names(&first.body["items"]);
        let mut cursor = first.body["pageInfo"]["nextCursor"]
            .as_str()
            .map(str::to_string);
        while let Some(c) = cursor.take() {
            // Filters sent with a cursor are ignored: the cursor carries the query.
            let r = app.get(&format!(
                "/api/catalog/entities/by-query?cursor={c}&filter=kind=user"
            ));
            assert_eq!(r.status, 200, "{}", r.body);
            seen.extend(names(&r.body["items"]));
            assert!(r.body["pageInfo"]["prevCursor"].is_string());
            cursor = r.body["pageInfo"]["nextCursor"]
                .as_str()
                .map(str::to_string);
        }
        assert_eq!(
            seen,
            vec!["playlist-api", "playlist-db", "playlist-service", "web-app"]
        );

        let r = app.get("/api/catalog/entities/by-query?fullTextFilterTerm=PLAYLIST&fullTextFilterFields=metadata.name&orderField=metadata.name,asc");
        assert_eq!(
            names(&r.body["items"]),
            vec!["playlist-api", "playlist-db", "playlist-service"]
        );
        assert_eq!(r.body["totalItems"], 3);
    }
}

#[test]
fn by_name_by_uid_by_refs_and_delete() {
    for app in TestApp::all() {
        seed(&app);
        let svc = app.get("/api/catalog/entities/by-name/Component/default/Playlist-Service");
        assert_eq!(svc.status, 200, "refs compare case-insensitively");
        let uid = svc.body["metadata"]["uid"].as_str().unwrap().to_string();
        assert_eq!(
            app.get(&format!("/api/catalog/entities/by-uid/{uid}")).body["metadata"]["name"],
            "playlist-service"
        );

        let r = app.post(
            "/api/catalog/entities/by-refs",
            &json!({ "entityRefs": ["component:default/web-app", "component:default/missing", "group:team-a"], "fields": ["metadata.name"] }),
        );
        assert_eq!(r.status, 200);
        assert_eq!(
            r.body["items"],
            json!([{ "metadata": { "name": "web-app" } }, null, { "metadata": { "name": "team-a" } }])
        );

        let missing = app.get("/api/catalog/entities/by-name/component/default/nope");
        assert_error(&missing, 404, "NotFoundError", "component:default/nope");

        assert_eq!(
            app.delete(&format!("/api/catalog/entities/by-uid/{uid}"))
                .status,
            204
        );
        assert_eq!(
            app.get(&format!("/api/catalog/entities/by-uid/{uid}"))
                .status,
            404
        );
        // Its inverse relations are gone from its neighbours.
        let api = app
            .get("/api/catalog/entities/by-name/api/default/playlist-api")
            .body;
        assert!(relation_targets(&api, "apiProvidedBy").is_empty(), "{api}");
        assert_error(
            &app.delete(&format!("/api/catalog/entities/by-uid/{uid}")),
            404,
            "NotFoundError",
            &uid,
        );
    }
}

#[test]
fn entities_are_served_as_the_stored_json_text() {
    for app in TestApp::all() {
        seed(&app);
        let rows = app
            .catalog
            .store()
            .read(|tx| tx.entities_by_refs(&["component:default/web-app".to_string()]))
            .expect("rows");
        let stored = rows[0].final_json.clone().expect("final json");
        let uid = &rows[0].uid;

        for path in [
            "/api/catalog/entities/by-name/component/default/web-app".to_string(),
            format!("/api/catalog/entities/by-uid/{uid}"),
        ] {
            let r = app.get(&path);
            assert_eq!(r.status, 200, "{path}");
            assert_eq!(
                r.content_type.as_deref(),
                Some("application/json"),
                "{path}"
            );
            assert_eq!(r.text, stored, "{path}");
        }
        let list = app.get("/api/catalog/entities?filter=metadata.name=web-app");
        assert_eq!(list.text, format!("[{stored}]"));
        let query = app.get("/api/catalog/entities/by-query?filter=metadata.name=web-app");
        assert!(
            query.text.starts_with(&format!("{{\"items\":[{stored}],")),
            "{}",
            query.text
        );
        assert_eq!(query.body["totalItems"], 1);
        assert_eq!(query.body["pageInfo"], json!({}));
        let refs = app.post(
            "/api/catalog/entities/by-refs",
            &json!({ "entityRefs": ["component:default/web-app", "component:default/nope"] }),
        );
        assert_eq!(refs.text, format!("{{\"items\":[{stored},null]}}"));
        let ancestry = app.get("/api/catalog/entities/by-name/component/default/web-app/ancestry");
        assert!(
            ancestry.text.contains(&format!("\"entity\":{stored},")),
            "{}",
            ancestry.text
        );

        // With `fields`, only those are sent.
        let query = app.get(
            "/api/catalog/entities/by-query?filter=metadata.name=web-app&fields=metadata.name,spec.type",
        );
        assert_eq!(
            query.body["items"],
            json!([{ "metadata": { "name": "web-app" }, "spec": { "type": "website" } }])
        );
    }
}

#[test]
fn facets_count_values_of_filtered_entities() {
    for app in TestApp::all() {
        seed(&app);
        let r =
            app.get("/api/catalog/entity-facets?facet=spec.type&facet=kind&filter=kind=component");
        assert_eq!(r.status, 200);
        let types = &r.body["facets"]["spec.type"];
        assert_eq!(
            *types,
            json!([{ "value": "service", "count": 1 }, { "value": "website", "count": 1 }])
        );
        assert_eq!(
            r.body["facets"]["kind"],
            json!([{ "value": "Component", "count": 2 }])
        );
        assert_error(
            &app.get("/api/catalog/entity-facets"),
            400,
            "InputError",
            "facet",
        );
    }
}

#[test]
fn ancestry_walks_up_to_the_registered_location() {
    for app in TestApp::all() {
        let root = seed(&app);
        let r = app.get("/api/catalog/entities/by-name/component/default/web-app/ancestry");
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["rootEntityRef"], "component:default/web-app");
        let items = r.body["items"].as_array().unwrap();
        assert_eq!(items.len(), 3, "{}", r.body);
        assert_eq!(
            items[0]["parentEntityRefs"],
            json!(["location:default/root"])
        );
        assert_eq!(items[1]["entity"]["metadata"]["name"], "root");
        assert!(items[2]["entity"]["metadata"]["name"]
            .as_str()
            .unwrap()
            .starts_with("generated-"));
        assert_eq!(items[2]["parentEntityRefs"], json!([]));
        let managed = &items[0]["entity"]["metadata"]["annotations"];
        assert!(managed["backstage.io/managed-by-location"]
            .as_str()
            .unwrap()
            .ends_with("services.yaml"));
        let canonical = root.canonicalize().unwrap();
        assert_eq!(
            managed["backstage.io/managed-by-origin-location"],
            format!("file:{}", canonical.display())
        );
    }
}

#[test]
fn bad_query_parameters_are_400_with_the_envelope() {
    for app in TestApp::all() {
        seed(&app);
        assert_error(
            &app.get("/api/catalog/entities?filter==component"),
            400,
            "InputError",
            "filter",
        );
        assert_error(
            &app.get("/api/catalog/entities?limit=ten"),
            400,
            "InputError",
            "limit",
        );
        assert_error(
            &app.get("/api/catalog/entities?order=sideways:metadata.name"),
            400,
            "InputError",
            "sideways",
        );
        assert_error(
            &app.get("/api/catalog/entities/by-query?cursor=not-a-cursor"),
            400,
            "InputError",
            "cursor",
        );
        assert_error(
            &app.get("/api/catalog/entities?after=zzz"),
            400,
            "InputError",
            "after",
        );
        assert_error(
            &app.get("/api/nothing/here"),
            404,
            "NotFoundError",
            "/api/nothing/here",
        );
        assert_error(
            &app.post_raw("/api/catalog/entities/by-refs", "{not json"),
            400,
            "InputError",
            "JSON",
        );
        assert_error(
            &app.post(
                "/api/catalog/entities/by-refs",
                &json!({ "entityRefs": ["no-kind-here"] }),
            ),
            400,
            "InputError",
            "entityRefs[0]",
        );
    }
}
