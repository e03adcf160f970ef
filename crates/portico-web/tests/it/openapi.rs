//! The OpenAPI view.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::path::Path;

use portico_web::openapi::{
    parse_openapi, ApiView, OpenApiError, Operation, SchemaNode, MAX_SCHEMA_DEPTH,
    SCHEMA_NODE_BUDGET,
};

const EXAMPLES: &str = "/work/shared/backstage-examples/catalog-model/apis";

/// The OpenAPI document in an example file: the file itself, or the
/// `spec.definition` of a Backstage API entity. None (with the reason
/// printed) when the file is not there or its definition is a `$text`
/// substitution this test cannot resolve.
fn example(file: &str) -> Option<String> {
    let path = Path::new(EXAMPLES).join(file);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("skipping: {} is not readable ({e})", path.display());
            return None;
        }
    };
    let doc: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    if doc.get("kind").and_then(|k| k.as_str()) != Some("API") {
        return Some(text);
    }
    match doc["spec"]["definition"].as_str() {
        Some(definition) => Some(definition.to_string()),
        None => {
            eprintln!("skipping: {} has no inline definition", path.display());
            None
        }
    }
}

fn op<'v>(view: &'v ApiView, id: &str) -> &'v Operation {
    view.groups
        .iter()
        .flat_map(|g| &g.operations)
        .find(|o| o.id == id)
        .unwrap_or_else(|| panic!("no operation {id}"))
}

fn child<'n>(node: &'n SchemaNode, name: &str) -> &'n SchemaNode {
    node.children
        .iter()
        .find(|c| c.name.as_deref() == Some(name))
        .unwrap_or_else(|| panic!("no property {name} in {node:?}"))
}

fn names(node: &SchemaNode) -> Vec<&str> {
    node.children
        .iter()
        .filter_map(|c| c.name.as_deref())
        .collect()
}

fn response_schema<'v>(op: &'v Operation, status: &str) -> &'v SchemaNode {
    op.responses
        .iter()
        .find(|r| r.status == status)
        .and_then(|r| r.content.first())
        .and_then(|m| m.schema.as_ref())
        .unwrap_or_else(|| panic!("no {status} schema on {}", op.id))
}

fn all_nodes(view: &ApiView) -> Vec<(usize, &SchemaNode)> {
    fn walk<'n>(node: &'n SchemaNode, depth: usize, out: &mut Vec<(usize, &'n SchemaNode)>) {
        out.push((depth, node));
        for c in &node.children {
            walk(c, depth + 1, out);
        }
    }
    let mut out = Vec::new();
    for o in view.groups.iter().flat_map(|g| &g.operations) {
        let roots = o.parameters.iter().filter_map(|p| p.schema.as_ref()).chain(
            o.request_body
                .iter()
                .flat_map(|b| &b.content)
                .chain(o.responses.iter().flat_map(|r| &r.content))
                .filter_map(|m| m.schema.as_ref()),
        );
        for root in roots {
            walk(root, 0, &mut out);
        }
    }
    out
}

fn root_count(view: &ApiView) -> usize {
    all_nodes(view).iter().filter(|(d, _)| *d == 0).count()
}

#[test]
fn petstore_openapi_31_document() {
    let Some(definition) = example("petstore.oas.yaml") else {
        return;
    };
    let view = parse_openapi(&definition).unwrap();
    assert_eq!(view.title, "Swagger Petstore - OpenAPI 3.1");
    assert_eq!(view.version, "1.0.11");
    assert!(view
        .description
        .as_deref()
        .unwrap()
        .starts_with("This is a sample Pet Store"));
    assert_eq!(view.servers, ["https://petstore3.swagger.io/api/v3"]);
    assert_eq!(view.operation_count, 19);

    let tags: Vec<&str> = view.groups.iter().map(|g| g.tag.as_str()).collect();
    assert_eq!(tags, ["pet", "store", "user"]);
    assert_eq!(
        view.groups[0].description.as_deref(),
        Some("Everything about your Pets")
    );
    let pet_ops: Vec<(&str, &str)> = view.groups[0]
        .operations
        .iter()
        .map(|o| (o.method.as_str(), o.id.as_str()))
        .collect();
    assert_eq!(
        pet_ops,
        [
            ("put", "updatePet"),
            ("post", "addPet"),
            ("get", "findPetsByStatus"),
            ("get", "findPetsByTags"),
            ("get", "getPetById"),
            ("post", "updatePetWithForm"),
            ("delete", "deletePet"),
            ("post", "uploadFile"),
        ]
    );
    let ids: HashSet<&str> = view
        .groups
        .iter()
        .flat_map(|g| &g.operations)
        .map(|o| o.id.as_str())
        .collect();
    assert_eq!(ids.len(), 19);

    let update = op(&view, "updatePet");
    assert_eq!(update.path, "/pet");
    assert_eq!(update.summary.as_deref(), Some("Update an existing pet"));
    let body = update.request_body.as_ref().unwrap();
    assert!(body.required);
    let types: Vec<&str> = body
        .content
        .iter()
        .map(|m| m.content_type.as_str())
        .collect();
    assert_eq!(
        types,
        [
            "application/json",
            "application/xml",
            "application/x-www-form-urlencoded"
        ]
    );
    let pet = body.content[0].schema.as_ref().unwrap();
    assert_eq!(pet.ref_name.as_deref(), Some("Pet"));
    assert_eq!(pet.type_label, "object");
    assert_eq!(
        names(pet),
        ["id", "name", "category", "photoUrls", "tags", "status"]
    );
    assert!(child(pet, "name").required && !child(pet, "id").required);
    assert_eq!(child(pet, "id").type_label, "integer (int64)");
    assert_eq!(child(pet, "photoUrls").type_label, "array of string");
    assert_eq!(child(pet, "category").ref_name.as_deref(), Some("Category"));
    assert_eq!(names(child(pet, "category")), ["id", "name"]);
    let tags = child(pet, "tags");
    assert_eq!(tags.type_label, "array of Tag");
    assert_eq!(names(tags), ["id", "name"]);
    let status = child(pet, "status");
    assert_eq!(status.type_label, "enum: available, pending, sold");
    assert_eq!(
        status.description.as_deref(),
        Some("pet status in the store")
    );

    let by_status = op(&view, "findPetsByStatus");
    assert_eq!(by_status.parameters[0].location, "query");
    assert_eq!(
        by_status.parameters[0].schema.as_ref().unwrap().type_label,
        "enum: available, pending, sold"
    );
    assert_eq!(response_schema(by_status, "200").type_label, "array of Pet");

    // Path parameters come first whatever the document's order.
    let delete = op(&view, "deletePet");
    let params: Vec<(&str, &str, bool)> = delete
        .parameters
        .iter()
        .map(|p| (p.name.as_str(), p.location.as_str(), p.required))
        .collect();
    assert_eq!(
        params,
        [("petId", "path", true), ("api_key", "header", false)]
    );
    assert_eq!(delete.responses[0].status, "400");
    assert!(delete.responses[0].content.is_empty());

    let upload = op(&view, "uploadFile");
    let octets = &upload.request_body.as_ref().unwrap().content[0];
    assert_eq!(octets.content_type, "application/octet-stream");
    assert_eq!(
        octets.schema.as_ref().unwrap().type_label,
        "string (binary)"
    );

    assert_eq!(
        response_schema(op(&view, "getInventory"), "200").type_label,
        "map of integer (int32)"
    );
    let list = op(&view, "createUsersWithListInput")
        .request_body
        .as_ref()
        .unwrap();
    let users = list.content[0].schema.as_ref().unwrap();
    assert_eq!(users.type_label, "array of User");
    assert!(names(users).contains(&"username"));
    assert_eq!(child(users, "userStatus").type_label, "integer (int32)");
}

#[test]
fn petstore_entity_openapi_30() {
    let Some(definition) = example("petstore-api.yaml") else {
        return;
    };
    let view = parse_openapi(&definition).unwrap();
    assert_eq!(view.title, "Swagger Petstore");
    assert_eq!(view.version, "1.0.0");
    assert_eq!(view.servers, ["http://petstore.swagger.io/v1"]);
    assert_eq!(view.operation_count, 3);
    assert_eq!(view.groups.len(), 1);
    assert_eq!(view.groups[0].tag, "pets");
    assert_eq!(view.groups[0].description, None);

    let list = op(&view, "listPets");
    assert_eq!(list.method, "get");
    let limit = &list.parameters[0];
    assert_eq!(
        (limit.name.as_str(), limit.location.as_str()),
        ("limit", "query")
    );
    assert!(!limit.required);
    assert_eq!(limit.schema.as_ref().unwrap().type_label, "integer (int32)");
    let statuses: Vec<&str> = list.responses.iter().map(|r| r.status.as_str()).collect();
    assert_eq!(statuses, ["200", "default"]);
    assert_eq!(list.responses[0].description, "A paged array of pets");

    let pets = response_schema(list, "200");
    assert_eq!(pets.ref_name.as_deref(), Some("Pets"));
    assert_eq!(pets.type_label, "array of Pet");
    assert_eq!(names(pets), ["id", "name", "tag"]);
    assert!(child(pets, "id").required && !child(pets, "tag").required);

    let error = response_schema(list, "default");
    assert_eq!(error.ref_name.as_deref(), Some("Error"));
    assert_eq!(names(error), ["code", "message"]);

    let show = op(&view, "showPetById");
    assert_eq!(show.path, "/pets/{petId}");
    assert!(show.parameters[0].required);
}

#[test]
fn petstore_entity_openapi_31() {
    let Some(definition) = example("petstore-31-api.yaml") else {
        return;
    };
    let view = parse_openapi(&definition).unwrap();
    assert_eq!(view.title, "Swagger 3.1 Petstore");
    // Webhooks are not operations on the API's paths.
    assert_eq!(view.operation_count, 3);
    let create = op(&view, "createPets");
    assert_eq!(create.method, "post");
    assert_eq!(create.responses[0].status, "201");
    assert!(create.responses[0].content.is_empty());
    assert_eq!(
        response_schema(op(&view, "showPetById"), "200")
            .ref_name
            .as_deref(),
        Some("Pet")
    );
}

#[test]
fn a_recursive_schema_is_cut_where_it_repeats() {
    // JSON, to read that too.
    let spec = r##"{
      "openapi": "3.0.3",
      "info": {"title": "Trees", "version": "2"},
      "paths": {"/tree": {"get": {"operationId": "getTree", "responses": {"200": {
        "description": "The tree",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Node"}}}
      }}}}},
      "components": {"schemas": {
        "Node": {"type": "object", "required": ["value"], "properties": {
          "value": {"type": "string"},
          "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
          "parent": {"$ref": "#/components/schemas/Node"},
          "meta": {"$ref": "#/components/schemas/Meta"}
        }},
        "Meta": {"type": "object", "properties": {"owner": {"$ref": "#/components/schemas/Node"}}}
      }}
    }"##;
    let view = parse_openapi(spec).unwrap();
    let node = response_schema(op(&view, "getTree"), "200");
    assert_eq!(node.ref_name.as_deref(), Some("Node"));
    assert!(!node.recursive);
    assert_eq!(names(node), ["value", "children", "parent", "meta"]);
    assert!(child(node, "value").required);

    let children = child(node, "children");
    assert_eq!(children.type_label, "array of Node");
    assert!(children.recursive);
    assert!(children.children.is_empty());

    let parent = child(node, "parent");
    assert!(parent.recursive);
    assert_eq!(parent.type_label, "Node");
    assert_eq!(parent.ref_name.as_deref(), Some("Node"));

    // A cycle through another schema is cut too.
    let meta = child(node, "meta");
    assert!(!meta.recursive);
    assert!(child(meta, "owner").recursive);
}

#[test]
fn all_of_members_merge_into_one_object() {
    let spec = r##"
openapi: 3.0.0
info: {title: Merge, version: "1"}
paths:
  /pets:
    get:
      operationId: listPets
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Pet"}
components:
  schemas:
    Pet:
      description: A pet with an id
      allOf:
        - $ref: "#/components/schemas/NewPet"
        - type: object
          required: [id]
          properties:
            id: {type: integer, format: int64, minimum: 1}
            name: {type: integer, description: "shadowed: the first definition wins"}
    NewPet:
      description: A pet before it has an id
      type: object
      required: [name]
      allOf:
        - $ref: "#/components/schemas/Named"
      properties:
        tag: {type: string}
        friend: {$ref: "#/components/schemas/Pet"}
    Named:
      properties:
        name: {type: string}
"##;
    let view = parse_openapi(spec).unwrap();
    let pet = response_schema(op(&view, "listPets"), "200");
    assert_eq!(pet.ref_name.as_deref(), Some("Pet"));
    assert_eq!(pet.type_label, "object");
    assert_eq!(pet.description.as_deref(), Some("A pet with an id"));
    assert_eq!(names(pet), ["tag", "friend", "name", "id"]);
    assert!(child(pet, "id").required && child(pet, "name").required);
    assert!(!child(pet, "tag").required);
    assert_eq!(child(pet, "name").type_label, "string");
    assert_eq!(child(pet, "id").type_label, "integer (int64) ≥ 1");
    assert!(child(pet, "friend").recursive);
}

#[test]
fn path_level_parameters_merge_and_operations_override_them() {
    let spec = r##"
openapi: 3.0.0
info: {title: Params, version: "1"}
paths:
  /items/{id}:
    parameters:
      - {name: id, in: path, description: path-level id, schema: {type: string}}
      - {name: verbose, in: query, description: path-level verbose, schema: {type: boolean}}
      - $ref: "#/components/parameters/Trace"
    get:
      operationId: getItem
      parameters:
        - {name: X-Trace, in: header, required: true, description: op-level trace}
        - {name: limit, in: query, schema: {type: integer, minimum: 0, maximum: 100}}
        - {name: verbose, in: query, required: true, description: op-level verbose}
        - {name: verbose, in: cookie, description: "same name, other place"}
      responses: {"204": {description: done}}
    delete:
      responses: {"204": {description: done}}
components:
  parameters:
    Trace: {name: X-Trace, in: header, description: component trace, schema: {type: string, format: uuid}}
"##;
    let view = parse_openapi(spec).unwrap();
    let get = op(&view, "getItem");
    let params: Vec<(&str, &str, bool, Option<&str>)> = get
        .parameters
        .iter()
        .map(|p| {
            (
                p.name.as_str(),
                p.location.as_str(),
                p.required,
                p.description.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        params,
        [
            ("id", "path", true, Some("path-level id")),
            ("verbose", "query", true, Some("op-level verbose")),
            ("limit", "query", false, None),
            ("X-Trace", "header", true, Some("op-level trace")),
            ("verbose", "cookie", false, Some("same name, other place")),
        ]
    );
    assert_eq!(
        get.parameters[2].schema.as_ref().unwrap().type_label,
        "integer ≥ 0, ≤ 100"
    );

    // Without its own parameters an operation gets the path's, references resolved.
    let delete = op(&view, "delete-items-id");
    let params: Vec<(&str, Option<&str>)> = delete
        .parameters
        .iter()
        .map(|p| (p.name.as_str(), p.description.as_deref()))
        .collect();
    assert_eq!(
        params,
        [
            ("id", Some("path-level id")),
            ("verbose", Some("path-level verbose")),
            ("X-Trace", Some("component trace")),
        ]
    );
    assert_eq!(
        delete.parameters[2].schema.as_ref().unwrap().type_label,
        "string (uuid)"
    );
}

#[test]
fn swagger_2_body_parameters_servers_and_media_types() {
    let spec = r##"
swagger: "2.0"
info: {title: Old Store, version: 0.9}
host: api.example.com
basePath: /v1
schemes: [https, http]
consumes: [application/json]
produces: [application/json]
tags:
  - {name: pets, description: Pet operations}
paths:
  /pets:
    parameters:
      - $ref: "#/parameters/limit"
    post:
      tags: [pets]
      operationId: addPet
      produces: [application/xml]
      parameters:
        - in: body
          name: pet
          required: true
          description: The pet to add
          schema: {$ref: "#/definitions/Pet"}
      responses:
        200:
          description: Added
          schema: {$ref: "#/definitions/Pet"}
        404: {$ref: "#/responses/NotFound"}
    get:
      tags: [pets]
      operationId: listPets
      responses:
        "200":
          description: All pets
          schema:
            type: array
            items: {$ref: "#/definitions/Pet"}
  /pets/{id}/photo:
    put:
      operationId: uploadPhoto
      consumes: [multipart/form-data]
      parameters:
        - {name: id, in: path, required: true, type: integer, format: int64}
        - {name: photo, in: formData, type: file, required: true}
        - {name: caption, in: formData, type: string}
      responses:
        default: {description: Whatever happened}
parameters:
  limit: {name: limit, in: query, type: integer, minimum: 1, description: Page size}
responses:
  NotFound:
    description: No such pet
    schema: {$ref: "#/definitions/Error"}
definitions:
  Pet:
    type: object
    required: [name]
    properties:
      name: {type: string}
      tags: {type: array, items: {type: string}}
  Error:
    properties:
      message: {type: string}
"##;
    let view = parse_openapi(spec).unwrap();
    assert_eq!(view.title, "Old Store");
    assert_eq!(view.version, "0.9");
    assert_eq!(
        view.servers,
        ["https://api.example.com/v1", "http://api.example.com/v1"]
    );
    assert_eq!(view.groups[0].tag, "pets");
    assert_eq!(
        view.groups[0].description.as_deref(),
        Some("Pet operations")
    );
    assert_eq!(view.groups[0].operations[0].id, "listPets");

    let add = op(&view, "addPet");
    let limit = &add.parameters[0];
    assert_eq!(
        (limit.name.as_str(), limit.location.as_str()),
        ("limit", "query")
    );
    assert_eq!(limit.description.as_deref(), Some("Page size"));
    let limit_schema = limit.schema.as_ref().unwrap();
    assert_eq!(limit_schema.type_label, "integer ≥ 1");
    assert_eq!(limit_schema.description, None);
    assert_eq!(
        add.parameters.len(),
        1,
        "the body parameter is the request body"
    );

    let body = add.request_body.as_ref().unwrap();
    assert!(body.required);
    assert_eq!(body.description.as_deref(), Some("The pet to add"));
    assert_eq!(body.content.len(), 1);
    assert_eq!(body.content[0].content_type, "application/json");
    let pet = body.content[0].schema.as_ref().unwrap();
    assert_eq!(pet.ref_name.as_deref(), Some("Pet"));
    assert_eq!(names(pet), ["name", "tags"]);
    assert_eq!(child(pet, "tags").type_label, "array of string");

    // Numeric status keys are read as text; produces comes from the operation.
    let ok = &add.responses[0];
    assert_eq!(ok.status, "200");
    assert_eq!(ok.content[0].content_type, "application/xml");
    assert_eq!(
        ok.content[0].schema.as_ref().unwrap().ref_name.as_deref(),
        Some("Pet")
    );
    let not_found = &add.responses[1];
    assert_eq!(not_found.status, "404");
    assert_eq!(not_found.description, "No such pet");
    assert_eq!(not_found.content[0].content_type, "application/xml");
    assert_eq!(
        names(not_found.content[0].schema.as_ref().unwrap()),
        ["message"]
    );

    let list = op(&view, "listPets");
    assert!(list.request_body.is_none());
    assert_eq!(
        list.responses[0].content[0].content_type,
        "application/json"
    );
    assert_eq!(response_schema(list, "200").type_label, "array of Pet");

    let upload = op(&view, "uploadPhoto");
    assert_eq!(upload.parameters.len(), 1);
    assert_eq!(
        upload.parameters[0].schema.as_ref().unwrap().type_label,
        "integer (int64)"
    );
    let form = upload.request_body.as_ref().unwrap();
    assert!(form.required);
    assert_eq!(form.content[0].content_type, "multipart/form-data");
    let fields = form.content[0].schema.as_ref().unwrap();
    assert_eq!(names(fields), ["photo", "caption"]);
    assert!(child(fields, "photo").required);
    assert_eq!(child(fields, "photo").type_label, "file");
    assert_eq!(upload.responses[0].status, "default");
    assert!(upload.responses[0].content.is_empty());
}

#[test]
fn swagger_2_without_schemes_leaves_the_scheme_to_the_browser() {
    let view = parse_openapi(
        "swagger: '2.0'\ninfo: {title: t, version: '1'}\nhost: h.example\npaths: {}\n",
    )
    .unwrap();
    assert_eq!(view.servers, ["//h.example"]);
    let view = parse_openapi(
        "swagger: '2.0'\ninfo: {title: t, version: '1'}\nbasePath: /api\npaths: {}\n",
    )
    .unwrap();
    assert_eq!(view.servers, ["/api"]);
}

#[test]
fn methods_in_fixed_order_and_groups_by_declared_tags_then_appearance() {
    let spec = r##"
openapi: 3.1.0
info: {title: Order, version: "1"}
tags:
  - {name: beta, description: Second letter}
  - {name: alpha}
  - {name: unused}
paths:
  /one:
    trace: {tags: [zeta], responses: {}}
    patch: {tags: [zeta], responses: {}}
    delete: {tags: [zeta], responses: {}}
    post: {tags: [alpha], operationId: makeOne, responses: {}}
    get: {tags: [zeta], operationId: "get one!", responses: {}}
    x-internal: {tags: [alpha]}
    parameters: []
  /two:
    get: {responses: {}}
    put: {tags: [beta, alpha], operationId: makeOne, responses: {}}
"##;
    let view = parse_openapi(spec).unwrap();
    let groups: Vec<(&str, Vec<&str>)> = view
        .groups
        .iter()
        .map(|g| {
            (
                g.tag.as_str(),
                g.operations.iter().map(|o| o.id.as_str()).collect(),
            )
        })
        .collect();
    assert_eq!(
        groups,
        [
            ("beta", vec!["makeOne-2"]),
            ("alpha", vec!["makeOne"]),
            (
                "zeta",
                vec!["get-one", "delete-one", "patch-one", "trace-one"]
            ),
            ("default", vec!["get-two"]),
        ]
    );
    assert_eq!(view.groups[0].description.as_deref(), Some("Second letter"));
    assert_eq!(view.operation_count, 7);
    let zeta: Vec<&str> = view.groups[2]
        .operations
        .iter()
        .map(|o| o.method.as_str())
        .collect();
    assert_eq!(zeta, ["get", "delete", "patch", "trace"]);
}

#[test]
fn labels_for_unions_nullables_bounds_and_external_references() {
    let spec = r##"
openapi: 3.1.0
info: {title: Labels, version: "1"}
servers:
  - url: "https://{region}.example.com/{base}"
    variables:
      region: {default: eu}
      base: {default: v2}
paths:
  /things:
    get:
      operationId: things
      parameters:
        - $ref: "common.yaml#/components/parameters/Page"
        - {name: since, in: query, schema: {type: [string, "null"], format: date-time}}
        - {name: count, in: query, schema: {type: integer, exclusiveMinimum: 0}}
        - {name: ratio, in: query, schema: {type: number, minimum: 0, maximum: 1}}
        - {name: kind, in: query, schema: {const: cat}}
      requestBody: {$ref: "#/components/requestBodies/Animal"}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                type: object
                properties:
                  animal: {oneOf: [{$ref: "#/components/schemas/Cat"}, {$ref: "#/components/schemas/Dog"}]}
                  either: {anyOf: [{type: string}, {type: integer}]}
                  remote: {$ref: "https://example.com/schemas/thing.json"}
                  legacy: {type: string, nullable: true}
                  anything: {}
                  matrix: {type: array, items: {type: array, items: {type: number}}}
        "404": {$ref: "other.yaml#/components/responses/NotFound"}
        "500": {$ref: "#/components/responses/Missing"}
components:
  requestBodies:
    Animal:
      required: true
      content:
        application/json:
          schema: {$ref: "#/components/schemas/Cat"}
  schemas:
    Cat: {type: object, properties: {purrs: {type: boolean}}}
    Dog: {type: object, properties: {barks: {type: boolean}}}
"##;
    let view = parse_openapi(spec).unwrap();
    assert_eq!(view.servers, ["https://eu.example.com/v2"]);
    let things = op(&view, "things");
    let labels: Vec<(&str, &str)> = things
        .parameters
        .iter()
        .map(|p| {
            (
                p.name.as_str(),
                p.schema.as_ref().unwrap().type_label.as_str(),
            )
        })
        .collect();
    assert_eq!(
        labels,
        [
            ("since", "string (date-time) | null"),
            ("count", "integer > 0"),
            ("ratio", "number ≥ 0, ≤ 1"),
            ("kind", "const: cat"),
            ("Page", "external: common.yaml#/components/parameters/Page"),
        ]
    );
    assert_eq!(things.parameters[4].location, "unknown");

    let body = things.request_body.as_ref().unwrap();
    assert!(body.required);
    assert_eq!(
        body.content[0].schema.as_ref().unwrap().ref_name.as_deref(),
        Some("Cat")
    );

    let shape = response_schema(things, "200");
    let animal = child(shape, "animal");
    assert_eq!(animal.type_label, "one of: Cat | Dog");
    let members: Vec<Option<&str>> = animal
        .children
        .iter()
        .map(|c| c.ref_name.as_deref())
        .collect();
    assert_eq!(members, [Some("Cat"), Some("Dog")]);
    assert_eq!(names(&animal.children[1]), ["barks"]);
    assert_eq!(
        child(shape, "either").type_label,
        "any of: string | integer"
    );
    assert_eq!(
        child(shape, "remote").type_label,
        "external: https://example.com/schemas/thing.json"
    );
    assert_eq!(child(shape, "legacy").type_label, "string | null");
    assert_eq!(child(shape, "anything").type_label, "any");
    assert_eq!(
        child(shape, "matrix").type_label,
        "array of array of number"
    );

    let external = things.responses.iter().find(|r| r.status == "404").unwrap();
    assert_eq!(
        external.description,
        "external: other.yaml#/components/responses/NotFound"
    );
    let missing = things.responses.iter().find(|r| r.status == "500").unwrap();
    assert_eq!(
        missing.description,
        "unresolved: #/components/responses/Missing"
    );
}

#[test]
fn a_huge_spec_stays_within_the_node_budget() {
    // 500 schemas that each hold the next two: expanded naively this is
    // exponential.
    let mut spec = String::from("openapi: 3.0.0\ninfo: {title: Huge, version: '1'}\npaths:\n");
    for i in 0..40 {
        spec.push_str(&format!(
            "  /r{i}:\n    get:\n      operationId: r{i}\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {{$ref: '#/components/schemas/S{i}'}}\n"
        ));
    }
    spec.push_str("components:\n  schemas:\n");
    for i in 0..500 {
        spec.push_str(&format!(
            "    S{i}:\n      type: object\n      properties:\n        a: {{type: string}}\n        b: {{type: integer}}\n        next: {{$ref: '#/components/schemas/S{}'}}\n        more: {{type: array, items: {{$ref: '#/components/schemas/S{}'}}}}\n",
            (i + 1) % 500,
            (i + 2) % 500
        ));
    }

    let view = parse_openapi(&spec).unwrap();
    assert_eq!(view.operation_count, 40);
    let nodes = all_nodes(&view);
    let roots = root_count(&view);
    assert_eq!(roots, 40);
    // Every slot still gets its (unexpanded) root node past the budget.
    assert!(
        nodes.len() <= SCHEMA_NODE_BUDGET + roots,
        "{} nodes",
        nodes.len()
    );
    assert!(
        nodes.len() > SCHEMA_NODE_BUDGET / 2,
        "the budget is used, {} nodes",
        nodes.len()
    );
    assert!(nodes
        .iter()
        .all(|(depth, _)| *depth <= MAX_SCHEMA_DEPTH + 1));
    assert!(nodes.iter().any(|(_, n)| n.truncated));

    // The last operations still name their schema.
    let last = response_schema(op(&view, "r39"), "200");
    assert_eq!(last.ref_name.as_deref(), Some("S39"));
    assert!(last.truncated);
}

#[test]
fn a_document_that_is_not_openapi_is_named() {
    let entity = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: x}\nspec: {type: service}\n";
    match parse_openapi(entity) {
        Err(OpenApiError::NotOpenApi(what)) => assert!(what.contains("Component"), "{what}"),
        other => panic!("{other:?}"),
    }
    match parse_openapi("name: thing\nitems: [1, 2]\n") {
        Err(e @ OpenApiError::NotOpenApi(_)) => {
            let message = e.to_string();
            assert!(message.contains("name, items"), "{message}");
            assert!(message.contains("openapi"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        parse_openapi("asyncapi: 2.6.0\ninfo: {title: t, version: '1'}\n"),
        Err(OpenApiError::NotOpenApi(what)) if what.contains("AsyncAPI")
    ));
    assert!(matches!(
        parse_openapi("openapi: 4.0.0\n"),
        Err(OpenApiError::NotOpenApi(what)) if what.contains("4.0.0")
    ));
    assert!(
        matches!(parse_openapi("- a\n- b\n"), Err(OpenApiError::NotOpenApi(what)) if what.contains("list"))
    );
    assert!(
        matches!(parse_openapi(""), Err(OpenApiError::NotOpenApi(what)) if what.contains("empty"))
    );
}

#[test]
fn invalid_yaml_reports_the_line() {
    let broken = "openapi: 3.0.0\ninfo:\n  title: Broken\n  version: [1, 2\npaths: {}\n";
    match parse_openapi(broken) {
        Err(e @ OpenApiError::Parse(_)) => {
            let message = e.to_string();
            assert!(message.contains("line"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    // Broken JSON is reported too, not taken for something else.
    assert!(matches!(
        parse_openapi("{\"openapi\": \"3.0.0\", \"info\": {"),
        Err(OpenApiError::Parse(m)) if m.contains("line")
    ));
}

#[test]
fn odd_documents_do_not_panic() {
    let odd = [
        "openapi: 3.0.0\ninfo: just text\npaths: [1, 2]\n",
        "openapi: 3.0.0\npaths: {/a: [1], /b: {get: 42, post: {parameters: nope, responses: [x], requestBody: 7}}}\n",
        "openapi: 3.0.0\npaths:\n  /a:\n    get:\n      parameters: [1, {in: query}, {$ref: 5}, {$ref: '#/nowhere'}]\n      responses:\n        ? [1, 2]\n        : {description: weird key}\n        200: {description: fine, content: {a/b: {schema: 12}}}\n",
        "openapi: 3.0.0\npaths:\n  /a:\n    get:\n      responses:\n        '200':\n          description: x\n          content:\n            a/b:\n              schema: {type: 7, properties: {1: {type: string}, x: [], y: true}, items: 3, enum: {}, required: 9, allOf: 8, oneOf: {}}\n",
        "openapi: 3.0.0\npaths:\n  /a:\n    get:\n      responses:\n        '200':\n          description: x\n          content:\n            a/b:\n              schema: {$ref: '#/components/schemas/A'}\ncomponents:\n  schemas:\n    A: {$ref: '#/components/schemas/B'}\n    B: {$ref: '#/components/schemas/A'}\n    C: {allOf: [{$ref: '#/components/schemas/C'}]}\n",
        "openapi: 3.0.0\npaths:\n  /a:\n    get:\n      responses:\n        '200':\n          description: x\n          content:\n            a/b:\n              schema: {$ref: '#/components/schemas/C'}\ncomponents:\n  schemas:\n    C: {allOf: [{$ref: '#/components/schemas/C'}, {$ref: 'x.yaml'}]}\n",
        "openapi: !custom 3.0.0\ninfo: !tagged {title: Tagged, version: 1}\npaths: {/t: {get: {responses: {'200': !r {description: tagged}}}}}\n",
        "swagger: 2.0\npaths: {/a: {get: {parameters: [{in: body}, {in: formData}], responses: {}}}}\n",
    ];
    for doc in odd {
        let view = parse_openapi(doc).unwrap_or_else(|e| panic!("{doc}: {e}"));
        assert!(!view.title.is_empty());
    }

    let tagged = parse_openapi(odd[6]).unwrap();
    assert_eq!(tagged.title, "Tagged");
    assert_eq!(
        tagged.groups[0].operations[0].responses[0].description,
        "tagged"
    );

    let numeric = parse_openapi(odd[2]).unwrap();
    let responses = &numeric.groups[0].operations[0].responses;
    assert_eq!(responses.len(), 1);
    assert_eq!(responses[0].status, "200");
    assert_eq!(
        responses[0].content[0].schema.as_ref().unwrap().type_label,
        "any"
    );

    let cyclic = parse_openapi(odd[4]).unwrap();
    let a = response_schema(&cyclic.groups[0].operations[0], "200");
    assert!(a.recursive);

    let self_all_of = parse_openapi(odd[5]).unwrap();
    let c = response_schema(&self_all_of.groups[0].operations[0], "200");
    assert!(c.recursive);
    assert_eq!(c.children[0].type_label, "external: x.yaml");
}
