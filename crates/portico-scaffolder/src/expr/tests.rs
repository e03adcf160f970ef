//! Tests of the expression language.
use super::*;
use serde_json::json;

fn context() -> Value {
    json!({
        "parameters": {
            "name": "Jane",
            "count": 3,
            "ratio": 0.5,
            "enabled": true,
            "off": false,
            "nothing": null,
            "tags": ["web", "api"],
            "owner": {"team": "payments", "size": 4},
            "repoUrl": "github.com?owner=acme&repo=payments",
            "with-dash": "dashed",
            "padded": "  hi  ",
            "greeting": "héllo wörld 🚀",
        },
        "steps": {"fetch": {"output": {"remoteUrl": "https://github.com/acme/payments", "files": 12}}},
        "user": {"ref": "user:default/jane", "entity": {"metadata": {"name": "jane"}}},
    })
}

fn eval_str(expression: &str) -> Result<Value, ExprError> {
    render(&Value::from(format!("${{{{ {expression} }}}}")), &context())
}

fn value(expression: &str) -> Value {
    eval_str(expression).unwrap_or_else(|e| panic!("{expression}: {e}"))
}

fn error_message(expression: &str) -> String {
    match eval_str(expression) {
        Err(ExprError::Syntax { message, .. } | ExprError::Eval { message, .. }) => message,
        Ok(v) => panic!("{expression} gave {v} instead of an error"),
    }
}

fn is_syntax_error(expression: &str) -> bool {
    matches!(eval_str(expression), Err(ExprError::Syntax { .. }))
}

#[test]
fn literals_keep_their_type() {
    assert_eq!(value("42"), json!(42));
    assert_eq!(value("1.5"), json!(1.5));
    assert_eq!(value("2.0"), json!(2));
    assert_eq!(value("'it\\'s'"), json!("it's"));
    assert_eq!(value(r#""say \"hi\"\n\t\\""#), json!("say \"hi\"\n\t\\"));
    assert_eq!(value("true"), json!(true));
    assert_eq!(value("false"), json!(false));
    assert_eq!(value("null"), json!(null));
    assert_eq!(value("none"), json!(null));
    assert_eq!(value("[1, 'a', [true],]"), json!([1, "a", [true]]));
    assert_eq!(
        value("{ a: 1, 'b c': { d: parameters.name } }"),
        json!({"a": 1, "b c": {"d": "Jane"}})
    );
    assert_eq!(
        value("{ kept: 1, gone: parameters.missing }"),
        json!({"kept": 1})
    );
    assert_eq!(value("[parameters.missing]"), json!([null]));
}

#[test]
fn paths_read_the_context() {
    assert_eq!(value("parameters.name"), json!("Jane"));
    assert_eq!(value("parameters['with-dash']"), json!("dashed"));
    assert_eq!(
        value("steps['fetch'].output.remoteUrl"),
        json!("https://github.com/acme/payments")
    );
    assert_eq!(
        value("steps.fetch.output.remoteUrl"),
        json!("https://github.com/acme/payments")
    );
    assert_eq!(value("steps[\"fetch\"]['output'].files"), json!(12));
    assert_eq!(value("parameters.tags[1]"), json!("api"));
    assert_eq!(value("parameters.tags[parameters.count - 2]"), json!("api"));
    assert_eq!(value("parameters.tags.length"), json!(2));
    assert_eq!(value("parameters.greeting.length"), json!(13));
    assert_eq!(value("parameters.greeting[12]"), json!("🚀"));
    assert_eq!(value("user.entity.metadata.name"), json!("jane"));
    assert_eq!(value("{a: {b: [10, 20]}}.a.b[1]"), json!(20));
}

#[test]
fn missing_paths_are_undefined_not_errors() {
    assert_eq!(value("parameters.missing"), Value::Null);
    assert_eq!(value("parameters.missing.deeper[0].still"), Value::Null);
    assert_eq!(value("parameters.nothing.member"), Value::Null);
    assert_eq!(value("parameters.tags[5]"), Value::Null);
    assert_eq!(value("parameters.name.first"), Value::Null);
    assert_eq!(value("nosuchroot"), Value::Null);
    assert_eq!(
        render(&json!("a${{ parameters.missing }}b"), &context()),
        Ok(json!("ab"))
    );
    assert_eq!(
        render(&json!("${{ x }}"), &json!("not an object")),
        Ok(Value::Null)
    );
}

#[test]
fn a_lone_expression_keeps_its_type_and_interpolation_makes_text() {
    let input = json!({
        "count": "${{ parameters.count }}",
        "spaced": "  ${{ parameters.enabled }}\n",
        "owner": "${{ parameters.owner }}",
        "tags": "${{parameters.tags}}",
        "text": "n=${{ parameters.count }} on=${{ parameters.enabled }} null=[${{ null }}] ${{ parameters.ratio }}",
        "json": "${{ parameters.owner }}/${{ parameters.tags }}",
        "two": "${{ parameters.count }}${{ parameters.count }}",
    });
    let expected = json!({
        "count": 3,
        "spaced": true,
        "owner": {"team": "payments", "size": 4},
        "tags": ["web", "api"],
        "text": "n=3 on=true null=[] 0.5",
        // Keys in the order written, as JSON.stringify keeps them.
        "json": "{\"team\":\"payments\",\"size\":4}/[\"web\",\"api\"]",
        "two": "33",
    });
    assert_eq!(render(&input, &context()), Ok(expected));
}

#[test]
fn undefined_members_are_removed_but_null_stays() {
    let input = json!({
        "gone": "${{ parameters.missing }}",
        "null": "${{ null }}",
        "nullParam": "${{ parameters.nothing }}",
        "list": ["${{ parameters.missing }}", 1],
        "nested": {"gone": "${{ parameters.missing.x }}", "kept": "${{ parameters.name }}"},
        "text": "x${{ parameters.missing }}",
    });
    let expected = json!({
        "null": null,
        "nullParam": null,
        "list": [null, 1],
        "nested": {"kept": "Jane"},
        "text": "x",
    });
    assert_eq!(render(&input, &context()), Ok(expected));
    assert_eq!(
        render(&json!("${{ parameters.missing }}"), &context()),
        Ok(Value::Null)
    );
}

#[test]
fn plain_values_keys_and_escapes() {
    let input =
        json!({"${{ parameters.name }}": "plain $ {{ text }}", "n": 1, "b": false, "z": null});
    assert_eq!(render(&input, &context()), Ok(input.clone()));
    assert_eq!(
        render(&json!("$${{ parameters.name }}"), &context()),
        Ok(json!("${{ parameters.name }}"))
    );
    assert_eq!(
        render(&json!("a $${{ x }} ${{ parameters.name }}"), &context()),
        Ok(json!("a ${{ x }} Jane"))
    );
    assert_eq!(
        render(&json!("${{ '}}' ~ '{' }}"), &context()),
        Ok(json!("}}{"))
    );
    assert_eq!(
        render(&json!("${{ {a: {b: '}}'}} }}!"), &context()),
        Ok(json!("{\"a\":{\"b\":\"}}\"}}!"))
    );
}

#[test]
fn arithmetic_and_precedence() {
    assert_eq!(value("1 + 2 * 3"), json!(7));
    assert_eq!(value("(1 + 2) * 3"), json!(9));
    assert_eq!(value("10 - 4 - 3"), json!(3));
    assert_eq!(value("7 / 2"), json!(3.5));
    assert_eq!(value("6 / 3"), json!(2));
    assert_eq!(value("7 % 3"), json!(1));
    assert_eq!(value("-7 % 3"), json!(-1));
    assert_eq!(value("-parameters.count * 2"), json!(-6));
    assert_eq!(value("- -2"), json!(2));
    assert_eq!(value("parameters.ratio + 1"), json!(1.5));
    assert_eq!(
        value("9223372036854775807 + 1"),
        json!(9_223_372_036_854_775_808.0_f64)
    );
    assert_eq!(value("'a' ~ 1 + 2"), json!("a3"));
    assert_eq!(value("'n' + 1"), json!("n1"));
    assert_eq!(value("1 + 'n'"), json!("1n"));
    assert_eq!(
        value("parameters.name ~ '-' ~ parameters.count ~ parameters.missing"),
        json!("Jane-3")
    );
    assert_eq!(value("1 + 2 == 3"), json!(true));
    assert_eq!(value("not 1 == 2"), json!(true));
    assert_eq!(value("'-' ~ parameters.name | upper"), json!("-JANE"));
    // Filters bind tighter than unary minus.
    assert_eq!(
        error_message("-parameters.count | string"),
        "`-` needs a number, got a string"
    );
}

#[test]
fn arithmetic_errors() {
    assert_eq!(error_message("1 / 0"), "`/` by zero");
    assert_eq!(error_message("1 % 0"), "`%` by zero");
    assert_eq!(
        error_message("1 - 'a'"),
        "`-` needs two numbers, got a number and a string"
    );
    assert_eq!(
        error_message("true + 1"),
        "`+` needs two numbers or a string, got a boolean and a number"
    );
    assert_eq!(error_message("-'a'"), "`-` needs a number, got a string");
}

#[test]
fn comparisons_and_equality() {
    assert_eq!(value("1 == 1.0"), json!(true));
    assert_eq!(value("1 === 1"), json!(true));
    assert_eq!(value("1 == '1'"), json!(false));
    assert_eq!(value("1 != 2"), json!(true));
    assert_eq!(value("parameters.missing == null"), json!(true));
    assert_eq!(value("parameters.missing === null"), json!(false));
    assert_eq!(value("parameters.missing !== null"), json!(true));
    assert_eq!(value("parameters.nothing === null"), json!(true));
    assert_eq!(value("parameters.tags == ['web', 'api']"), json!(true));
    assert_eq!(
        value("parameters.owner == {size: 4.0, team: 'payments'}"),
        json!(true)
    );
    assert_eq!(value("2 < 10"), json!(true));
    assert_eq!(value("'2' < '10'"), json!(false));
    assert_eq!(value("3 <= 3"), json!(true));
    assert_eq!(value("3 >= 4"), json!(false));
    assert_eq!(value("parameters.count > 2.5"), json!(true));
    assert_eq!(value("'b' > 'a'"), json!(true));
    assert_eq!(
        error_message("parameters.missing > 1"),
        "`>` needs two numbers or two strings, got undefined and a number"
    );
}

#[test]
fn membership() {
    assert_eq!(value("'api' in parameters.tags"), json!(true));
    assert_eq!(value("'db' in parameters.tags"), json!(false));
    assert_eq!(value("'db' not in parameters.tags"), json!(true));
    assert_eq!(value("'ay' in 'payments'"), json!(true));
    assert_eq!(value("'team' in parameters.owner"), json!(true));
    assert_eq!(value("1.0 in [1, 2]"), json!(true));
    assert_eq!(value("'x' in parameters.missing"), json!(false));
    assert_eq!(value("'a' ~ 'pi' in parameters.tags"), json!(true));
    assert_eq!(value("true == 'x' in ['x']"), json!(true));
    assert_eq!(value("'a' ~ ('pi' in parameters.tags)"), json!("afalse"));
    assert_eq!(
        error_message("1 in 'abc'"),
        "`in` cannot look for a number in a string"
    );
}

#[test]
fn logic_returns_operands_and_short_circuits() {
    assert_eq!(value("parameters.missing or 'fallback'"), json!("fallback"));
    assert_eq!(value("parameters.name || 'fallback'"), json!("Jane"));
    assert_eq!(value("parameters.name and parameters.count"), json!(3));
    assert_eq!(value("parameters.off && 1 / 0"), json!(false));
    assert_eq!(value("parameters.enabled or 1 / 0"), json!(true));
    assert_eq!(value("true or false and false"), json!(true));
    assert_eq!(value("(true or false) and false"), json!(false));
    assert_eq!(value("not parameters.off"), json!(true));
    assert_eq!(value("!parameters.name"), json!(false));
    assert_eq!(value("not not []"), json!(false));
    assert_eq!(value("[] or 'empty'"), json!("empty"));
}

#[test]
fn inline_if() {
    assert_eq!(value("'yes' if parameters.enabled else 'no'"), json!("yes"));
    assert_eq!(value("'yes' if parameters.off else 'no'"), json!("no"));
    assert_eq!(value("'a' if false else 'b' if true else 'c'"), json!("b"));
    assert_eq!(
        value("1 + 1 if parameters.count > 2 or false else 0"),
        json!(2)
    );
    assert_eq!(
        render(&json!({"x": "${{ 'yes' if parameters.off }}"}), &context()),
        Ok(json!({}))
    );
    assert_eq!(value("'a' if true else 1 / 0"), json!("a"));
}

#[test]
fn parse_repo_url_filter() {
    assert_eq!(
        value("parameters.repoUrl | parseRepoUrl"),
        json!({"host": "github.com", "owner": "acme", "repo": "payments"})
    );
    assert_eq!(
        value("'dev.azure.com?repo=r%20x&organization=org&project=p+q&workspace=w&owner=&other=1' | parseRepoUrl"),
        json!({"host": "dev.azure.com", "repo": "r x", "organization": "org", "project": "p q", "workspace": "w"})
    );
    assert_eq!(
        value("(parameters.repoUrl | parseRepoUrl).owner"),
        json!("acme")
    );
    assert_eq!(
        value("'h?repo=%zz%4' | parseRepoUrl | pick('repo')"),
        json!("%zz%4")
    );
    assert_eq!(
        error_message("'github.com?owner=acme' | parseRepoUrl"),
        "filter `parseRepoUrl` found no repo in `github.com?owner=acme`"
    );
    assert_eq!(
        error_message("'?repo=x' | parseRepoUrl"),
        "filter `parseRepoUrl` found no host in `?repo=x`"
    );
    assert_eq!(
        error_message("parameters.missing | parseRepoUrl"),
        "filter `parseRepoUrl` expects a string, got undefined"
    );
}

#[test]
fn project_slug_filter() {
    assert_eq!(
        value("parameters.repoUrl | projectSlug"),
        json!("acme/payments")
    );
    assert_eq!(
        value("'dev.azure.com?organization=org&repo=r' | projectSlug"),
        json!("org/r")
    );
    assert_eq!(
        error_message("'github.com?repo=r' | projectSlug"),
        "filter `projectSlug` found no owner or organization in `github.com?repo=r`"
    );
}

#[test]
fn parse_entity_ref_filter() {
    assert_eq!(
        value("user.ref | parseEntityRef"),
        json!({"kind": "user", "namespace": "default", "name": "jane"})
    );
    assert_eq!(
        value("'Group:team-a' | parseEntityRef"),
        json!({"kind": "Group", "namespace": "default", "name": "team-a"})
    );
    assert_eq!(
        value("'ops/db' | parseEntityRef({ defaultKind: 'component' })"),
        json!({"kind": "component", "namespace": "ops", "name": "db"})
    );
    assert_eq!(
        value("'db' | parseEntityRef({ defaultKind: 'group', defaultNamespace: 'ops' })"),
        json!({"kind": "group", "namespace": "ops", "name": "db"})
    );
    assert_eq!(
        value("'user:default/jane' | parseEntityRef({defaultKind: 'group'}) | pick('kind')"),
        json!("user")
    );
    assert!(error_message("'jane' | parseEntityRef")
        .contains("has no kind and no `defaultKind` was given"));
    assert!(error_message("'user:' | parseEntityRef").contains("`user:`: a part is empty"));
    assert!(error_message("'a:b/c/d' | parseEntityRef").contains("expected `kind:namespace/name`"));
    assert_eq!(
        error_message("'x' | parseEntityRef('k')"),
        "filter `parseEntityRef` expects an options object, got a string"
    );
    assert_eq!(
        error_message("'x' | parseEntityRef({defaultKind: 1})"),
        "filter `parseEntityRef` needs option `defaultKind` to be a string, got a number"
    );
}

#[test]
fn pick_and_default_filters() {
    assert_eq!(value("parameters.owner | pick('team')"), json!("payments"));
    assert_eq!(value("parameters.owner | pick('nope')"), Value::Null);
    assert_eq!(value("parameters.missing | pick('team')"), Value::Null);
    assert_eq!(
        error_message("parameters.tags | pick('a')"),
        "filter `pick` expects an object, got an array"
    );
    assert_eq!(
        error_message("parameters.owner | pick(1)"),
        "filter `pick` needs a string key, got a number"
    );
    assert_eq!(value("parameters.missing | default('d')"), json!("d"));
    assert_eq!(value("parameters.nothing | default(5)"), json!(5));
    assert_eq!(value("parameters.off | default(true)"), json!(false));
    assert_eq!(value("'' | default('d')"), json!(""));
}

#[test]
fn text_filters() {
    assert_eq!(value("parameters.name | lower"), json!("jane"));
    assert_eq!(value("parameters.name | upper"), json!("JANE"));
    assert_eq!(value("parameters.padded | trim"), json!("hi"));
    assert_eq!(value("'hELLO world' | capitalize"), json!("Hello world"));
    assert_eq!(value("'' | capitalize"), json!(""));
    assert_eq!(value("'a-b-c' | replace('-', '_')"), json!("a_b_c"));
    assert_eq!(value("'abc' | replace('', 'x')"), json!("abc"));
    assert_eq!(value("parameters.missing | upper"), json!(""));
    assert_eq!(value("parameters.count | upper"), json!("3"));
    assert_eq!(
        error_message("parameters.tags | lower"),
        "filter `lower` expects text, got an array"
    );
    assert_eq!(
        value("parameters.name | lower | replace('j', 'J') | capitalize"),
        json!("Jane")
    );
}

#[test]
fn collection_and_conversion_filters() {
    assert_eq!(value("parameters.tags | join"), json!("web,api"));
    assert_eq!(value("parameters.tags | join(' & ')"), json!("web & api"));
    assert_eq!(
        value("[1, null, {a: 1}] | join('|')"),
        json!("1||{\"a\":1}")
    );
    assert_eq!(value("parameters.missing | join"), json!(""));
    assert_eq!(
        error_message("'ab' | join"),
        "filter `join` expects an array, got a string"
    );
    assert_eq!(
        value("parameters.owner | dump"),
        json!("{\"team\":\"payments\",\"size\":4}")
    );
    assert_eq!(value("'a' | dump"), json!("\"a\""));
    assert_eq!(value("parameters.missing | dump"), Value::Null);
    assert_eq!(value("parameters.tags | length"), json!(2));
    assert_eq!(value("parameters.owner | length"), json!(2));
    assert_eq!(value("parameters.greeting | length"), json!(13));
    assert_eq!(value("parameters.missing | length"), json!(0));
    assert_eq!(
        error_message("1 | length"),
        "filter `length` expects a string, array or object, got a number"
    );
    assert_eq!(value("parameters.tags | first"), json!("web"));
    assert_eq!(value("parameters.tags | last"), json!("api"));
    assert_eq!(value("parameters.greeting | last"), json!("🚀"));
    assert_eq!(value("[] | first"), Value::Null);
    assert_eq!(
        error_message("3 | first"),
        "filter `first` expects a string or an array, got a number"
    );
    assert_eq!(value("parameters.count | string"), json!("3"));
    assert_eq!(value("parameters.missing | string"), json!(""));
    assert_eq!(value("' 42 ' | int"), json!(42));
    assert_eq!(value("'3.9' | int"), json!(3));
    assert_eq!(value("-3.9 | int"), json!(-3));
    assert_eq!(value("'2.5' | float"), json!(2.5));
    assert_eq!(value("parameters.count | float"), json!(3));
    assert_eq!(
        error_message("'abc' | int"),
        "filter `int` cannot read \"abc\" as a number"
    );
    assert_eq!(
        error_message("'inf' | float"),
        "filter `float` cannot read \"inf\" as a number"
    );
    assert_eq!(
        error_message("true | int"),
        "filter `int` expects a number or numeric text, got a boolean"
    );
}

#[test]
fn filter_names_and_arity_are_checked_when_parsing() {
    let error = render(
        &json!("${{ parameters.missing and (1 | shout) }}"),
        &context(),
    );
    assert_eq!(
        error,
        Err(ExprError::Syntax {
            expr: "${{ parameters.missing and (1 | shout) }}".to_owned(),
            message: "unknown filter `shout`".to_owned(),
        })
    );
    assert_eq!(
        error_message("'a' | replace('a')"),
        "filter `replace` takes 2 argument(s) but was given 1"
    );
    assert_eq!(
        error_message("'a' | join(1, 2)"),
        "filter `join` takes 0 to 1 argument(s) but was given 2"
    );
    assert!(is_syntax_error("'a' | 'b'"));
}

#[test]
fn syntax_errors_name_the_expression() {
    let unterminated = render(&json!("name: ${{ parameters.name"), &context());
    assert_eq!(
        unterminated,
        Err(ExprError::Syntax {
            expr: "${{ parameters.name".to_owned(),
            message: "`${{` is never closed by `}}`".to_owned(),
        })
    );
    assert_eq!(
        unterminated.map_err(|e| e.to_string()),
        Err(
            "cannot read expression `${{ parameters.name`: `${{` is never closed by `}}`"
                .to_owned()
        )
    );
    assert!(is_syntax_error("'unclosed"));
    assert_eq!(error_message("'a\\q'"), "unknown escape `\\q` in a string");
    assert_eq!(error_message(""), "the expression is empty");
    assert_eq!(error_message("1 +"), "the expression ends too early");
    assert_eq!(
        error_message("a b"),
        "unexpected `b` after a complete expression"
    );
    assert_eq!(
        error_message("(1"),
        "expected `)` but found the end of the expression"
    );
    assert_eq!(error_message("a = 1"), "unexpected character `=`");
    assert_eq!(error_message("and"), "unexpected `and`");
    assert_eq!(
        error_message("a."),
        "expected a member name after `.` but found the end of the expression"
    );
    assert!(is_syntax_error("{1: 2}"));
    assert!(is_syntax_error("[1 2]"));
}

#[test]
fn evaluation_errors_name_the_expression() {
    let error = render(&json!({"a": ["x ${{ parameters.name > 3 }}"]}), &context());
    assert_eq!(
        error,
        Err(ExprError::Eval {
            expr: "${{ parameters.name > 3 }}".to_owned(),
            message: "`>` needs two numbers or two strings, got a string and a number".to_owned(),
        })
    );
    let shown = error.map_err(|e| e.to_string());
    assert_eq!(
        shown,
        Err("expression `${{ parameters.name > 3 }}`: `>` needs two numbers or two strings, got a string and a number"
            .to_owned())
    );
}

#[test]
fn limits_stop_hostile_input() {
    let deep = format!("{}1{}", "(".repeat(100), ")".repeat(100));
    assert_eq!(
        error_message(&deep),
        "the expression is nested more than 64 levels deep"
    );
    assert_eq!(
        error_message(&"not ".repeat(100)),
        "the expression is nested more than 64 levels deep"
    );
    assert_eq!(
        error_message(&"-".repeat(500)),
        "the expression is nested more than 64 levels deep"
    );
    assert_eq!(
        error_message(&format!("1{}", " ~ 1".repeat(70))),
        "the expression is nested more than 64 levels deep"
    );
    assert_eq!(
        error_message(&"[".repeat(3000)),
        "the expression is nested more than 64 levels deep"
    );
    assert_eq!(
        value(&format!("{}1{}", "(".repeat(40), ")".repeat(40))),
        json!(1)
    );
    let long = format!("'{}'", "a".repeat(5000));
    assert_eq!(
        error_message(&long),
        "the expression is longer than 4096 characters"
    );
    match eval_str(&long) {
        Err(ExprError::Syntax { expr, .. }) => {
            assert!(expr.chars().count() <= 201 && expr.ends_with('…'))
        }
        other => panic!("{other:?}"),
    }
    let big = json!({"parameters": {"big": "a".repeat(1 << 20)}});
    let blown = render(
        &json!("${{ parameters.big | replace('a', 'aaaaaaaaaaaaaaaaaaaa') }}"),
        &big,
    );
    assert!(
        matches!(blown, Err(ExprError::Eval { message, .. }) if message.contains("longer than"))
    );
}

#[test]
fn deepest_accepted_expressions_fit_a_small_stack() {
    // Unoptimised builds use about 650 KiB for these; spawned threads get 2 MiB by default.
    let deepest = [
        format!("{}1{}", "(".repeat(63), ")".repeat(63)),
        format!("{}1{}", "[".repeat(63), "]".repeat(63)),
        format!("{}1{}", "{a: ".repeat(63), "}".repeat(63)),
        format!("{}1", "not ".repeat(62)),
        format!("{}1", "-".repeat(62)),
        format!("1{}", " ~ 1".repeat(62)),
        format!("1{}", " | string".repeat(63)),
    ];
    let outcome = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(move || {
            deepest
                .iter()
                .map(|e| eval_str(e).map(|_| ()))
                .collect::<Vec<_>>()
        })
        .map(|worker| worker.join());
    assert!(
        matches!(&outcome, Ok(Ok(all)) if all.iter().all(Result::is_ok)),
        "{outcome:?}"
    );
}

#[test]
fn rendered_values_are_not_rendered_again() {
    let ctx =
        json!({"parameters": {"sneaky": "${{ secrets.token }}"}, "secrets": {"token": "s3cr3t"}});
    assert_eq!(
        render(&json!("${{ parameters.sneaky }}!"), &ctx),
        Ok(json!("${{ secrets.token }}!"))
    );
}

#[test]
fn no_input_prefix_panics() {
    let template = "x ${{ steps['fé'].output[\"y\\\"z\"] | parseEntityRef({defaultKind: 'g'}) | pick('name') ~ 'ü🚀' if not (a in [1, 2.5]) else -b | default(none) }} $${{ y";
    for (cut, _) in template.char_indices() {
        let _ = render(&Value::from(&template[..cut]), &context());
        let _ = condition(&Value::from(&template[cut..]), &context());
    }
}

#[test]
fn unicode_text() {
    assert_eq!(
        value("parameters.greeting | upper"),
        json!("HÉLLO WÖRLD 🚀")
    );
    assert_eq!(value("'écoute' | capitalize"), json!("Écoute"));
    assert_eq!(value("'日本' ~ '語'"), json!("日本語"));
    assert_eq!(value("ünïcode"), Value::Null);
    assert_eq!(
        render(&json!("→ ${{ '✓' }} ←"), &context()),
        Ok(json!("→ ✓ ←"))
    );
}

#[test]
fn condition_truthiness() {
    let ctx = context();
    let judge = |v: Value| condition(&v, &ctx).unwrap_or_else(|e| panic!("{e}"));
    assert!(judge(json!(true)));
    assert!(!judge(json!(false)));
    assert!(!judge(json!(null)));
    assert!(!judge(json!(0)));
    assert!(!judge(json!(0.0)));
    assert!(judge(json!(-1)));
    assert!(!judge(json!("")));
    assert!(judge(json!("false")));
    assert!(!judge(json!([])));
    assert!(judge(json!([0])));
    assert!(!judge(json!({})));
    assert!(judge(json!({"a": 1})));
    assert!(judge(json!("${{ parameters.enabled }}")));
    assert!(!judge(json!("${{ parameters.off }}")));
    assert!(!judge(json!("${{ parameters.missing }}")));
    assert!(!judge(json!("  ${{ parameters.count - 3 }} ")));
    assert!(!judge(json!("${{ parameters.tags | first == 'api' }}")));
    assert!(judge(json!(
        "${{ 'api' in parameters.tags and parameters.count >= 3 }}"
    )));
    assert!(!judge(json!(
        "${{ parameters.missing }}${{ parameters.nothing }}"
    )));
    assert!(!judge(json!("${{ parameters.off }} ")));
    assert!(judge(json!("off: ${{ parameters.off }}")));
    assert!(matches!(
        condition(&json!("${{ 1 / 0 }}"), &ctx),
        Err(ExprError::Eval { .. })
    ));
}
