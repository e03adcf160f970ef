//! A deterministic synthetic organisation: groups in a tree, users, domains,
//! systems, components, APIs and resources with realistic relation fan-out,
//! written as multi-document catalog files under one root Location.

use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// SplitMix64: tiny, seedable, and the same on every machine.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

const WORDS: &[&str] = &[
    "playlist",
    "search",
    "payments",
    "billing",
    "identity",
    "auth",
    "stream",
    "audio",
    "podcast",
    "artist",
    "album",
    "lyrics",
    "recommend",
    "discovery",
    "radio",
    "social",
    "share",
    "ads",
    "catalog",
    "ingest",
];
const COMPONENT_TYPES: &[&str] = &["service", "service", "service", "website", "library"];
const LIFECYCLES: &[&str] = &["production", "production", "experimental", "deprecated"];
const RESOURCE_TYPES: &[&str] = &["database", "kafka-topic", "cache", "s3-bucket"];
const API_TYPES: &[&str] = &["openapi", "openapi", "asyncapi", "graphql", "grpc"];

pub struct Generated {
    pub root: PathBuf,
    /// Entities in the files, not counting the generated root Location.
    pub entities: usize,
    pub components: Vec<String>,
    pub groups: Vec<String>,
}

struct Counts {
    domains: usize,
    systems: usize,
    groups: usize,
    users: usize,
    components: usize,
    apis: usize,
    resources: usize,
}

fn counts(n: usize) -> Counts {
    let domains = (n / 500).max(2);
    let systems = (n / 50).max(4);
    let groups = (n / 50).max(6);
    let users = (n / 10).max(12);
    // The root Location file is one entity too.
    let rest = n
        .saturating_sub(domains + systems + groups + users + 1)
        .max(3);
    let components = rest * 55 / 100;
    let apis = rest * 25 / 100;
    let resources = rest - components - apis;
    Counts {
        domains,
        systems,
        groups,
        users,
        components,
        apis,
        resources,
    }
}

/// Writes about `n` entities under `dir` and returns the root file.
pub fn generate(dir: &Path, n: usize, seed: u64) -> io::Result<Generated> {
    let c = counts(n);
    let mut rng = Rng::new(seed);
    let group = |i: usize| format!("team-{i:05}");
    let user = |i: usize| format!("user-{i:06}");
    let system = |i: usize| format!("system-{i:05}");
    let domain = |i: usize| format!("domain-{i:04}");
    let component = |i: usize| format!("{}-svc-{i:06}", WORDS[i % WORDS.len()]);
    let api = |i: usize| format!("{}-api-{i:06}", WORDS[i % WORDS.len()]);
    let resource = |i: usize| format!("{}-res-{i:06}", WORDS[i % WORDS.len()]);

    fs::create_dir_all(dir.join("org"))?;
    fs::create_dir_all(dir.join("systems"))?;
    fs::create_dir_all(dir.join("repos"))?;

    // Groups form a tree with fan-out 4; users join one or two teams.
    let mut org = String::new();
    for g in 0..c.groups {
        let parent = if g == 0 {
            String::new()
        } else {
            format!("  parent: {}\n", group((g - 1) / 4))
        };
        let children: Vec<String> = (1..=4)
            .map(|k| g * 4 + k)
            .filter(|&k| k < c.groups)
            .map(group)
            .collect();
        let _ = write!(
            org,
            "---\napiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: {}\n  description: Team {g}\nspec:\n  type: {}\n{parent}  children: [{}]\n",
            group(g),
            if g == 0 { "organization" } else { "team" },
            children.join(", ")
        );
    }
    fs::write(dir.join("org/groups.yaml"), org)?;
    let mut users = String::new();
    for u in 0..c.users {
        let mut member_of = vec![group(rng.below(c.groups))];
        if rng.below(4) == 0 {
            member_of.push(group(rng.below(c.groups)));
        }
        member_of.dedup();
        let _ = write!(
            users,
            "---\napiVersion: backstage.io/v1alpha1\nkind: User\nmetadata:\n  name: {}\nspec:\n  profile:\n    displayName: User {u}\n    email: {}@example.com\n  memberOf: [{}]\n",
            user(u),
            user(u),
            member_of.join(", ")
        );
    }
    fs::write(dir.join("org/users.yaml"), users)?;

    let mut systems = String::new();
    for d in 0..c.domains {
        let _ = write!(
            systems,
            "---\napiVersion: backstage.io/v1alpha1\nkind: Domain\nmetadata:\n  name: {}\nspec:\n  owner: {}\n",
            domain(d),
            group(rng.below(c.groups))
        );
    }
    for s in 0..c.systems {
        let _ = write!(
            systems,
            "---\napiVersion: backstage.io/v1alpha1\nkind: System\nmetadata:\n  name: {}\nspec:\n  owner: {}\n  domain: {}\n",
            system(s),
            group(rng.below(c.groups)),
            domain(rng.below(c.domains))
        );
    }
    fs::write(dir.join("systems/systems.yaml"), systems)?;

    // Repositories: about twenty entities a file, as a monorepo-ish org has.
    let mut repo = String::new();
    let mut repo_no = 0;
    let mut docs_in_repo = 0;
    let mut flush = |repo: &mut String, docs: &mut usize, force: bool| -> io::Result<()> {
        if (*docs >= 20 || force) && !repo.is_empty() {
            fs::write(
                dir.join(format!("repos/repo-{repo_no:05}.yaml")),
                std::mem::take(repo),
            )?;
            repo_no += 1;
            *docs = 0;
        }
        Ok(())
    };
    for r in 0..c.resources {
        let _ = write!(
            repo,
            "---\napiVersion: backstage.io/v1alpha1\nkind: Resource\nmetadata:\n  name: {}\nspec:\n  type: {}\n  owner: {}\n  system: {}\n",
            resource(r),
            RESOURCE_TYPES[rng.below(RESOURCE_TYPES.len())],
            group(rng.below(c.groups)),
            system(rng.below(c.systems))
        );
        docs_in_repo += 1;
        flush(&mut repo, &mut docs_in_repo, false)?;
    }
    for a in 0..c.apis {
        let _ = write!(
            repo,
            "---\napiVersion: backstage.io/v1alpha1\nkind: API\nmetadata:\n  name: {}\n  description: The {} API\nspec:\n  type: {}\n  lifecycle: {}\n  owner: {}\n  system: {}\n  definition: |\n    openapi: 3.0.0\n    info:\n      title: {}\n      version: 1.0.0\n    paths: {{}}\n",
            api(a),
            WORDS[a % WORDS.len()],
            API_TYPES[rng.below(API_TYPES.len())],
            LIFECYCLES[rng.below(LIFECYCLES.len())],
            group(rng.below(c.groups)),
            system(rng.below(c.systems)),
            api(a)
        );
        docs_in_repo += 1;
        flush(&mut repo, &mut docs_in_repo, false)?;
    }
    let mut component_names = Vec::with_capacity(c.components);
    for i in 0..c.components {
        let mut depends = Vec::new();
        for _ in 0..2 {
            if c.resources > 0 && rng.below(2) == 0 {
                depends.push(format!("resource:{}", resource(rng.below(c.resources))));
            } else if i > 0 {
                depends.push(format!("component:{}", component(rng.below(i))));
            }
        }
        depends.sort();
        depends.dedup();
        let provides = if c.apis > 0 && i < c.apis {
            vec![api(i)]
        } else {
            Vec::new()
        };
        let consumes: Vec<String> = if c.apis > 0 {
            (0..2).map(|_| api(rng.below(c.apis))).collect()
        } else {
            Vec::new()
        };
        let name = component(i);
        let _ = write!(
            repo,
            "---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: {name}\n  description: Handles {} for listeners\n  tags: [{}, rust]\n  annotations:\n    github.com/project-slug: tunewave/{name}\nspec:\n  type: {}\n  lifecycle: {}\n  owner: {}\n  system: {}\n  dependsOn: [{}]\n  providesApis: [{}]\n  consumesApis: [{}]\n",
            WORDS[i % WORDS.len()],
            WORDS[i % WORDS.len()],
            COMPONENT_TYPES[rng.below(COMPONENT_TYPES.len())],
            LIFECYCLES[rng.below(LIFECYCLES.len())],
            group(rng.below(c.groups)),
            system(rng.below(c.systems)),
            depends.join(", "),
            provides.join(", "),
            consumes.join(", ")
        );
        component_names.push(name);
        docs_in_repo += 1;
        flush(&mut repo, &mut docs_in_repo, false)?;
    }
    flush(&mut repo, &mut docs_in_repo, true)?;

    let root = dir.join("all.yaml");
    fs::write(
        &root,
        "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: bench-root\nspec:\n  targets:\n    - ./org/*.yaml\n    - ./systems/*.yaml\n    - ./repos/*.yaml\n",
    )?;
    let entities =
        1 + c.domains + c.systems + c.groups + c.users + c.components + c.apis + c.resources;
    Ok(Generated {
        root,
        entities,
        components: component_names,
        groups: (0..c.groups).map(group).collect(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn generation_is_deterministic_and_sized() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let ga = generate(a.path(), 1000, 7).unwrap();
        let gb = generate(b.path(), 1000, 7).unwrap();
        assert!((990..=1010).contains(&ga.entities), "got {}", ga.entities);
        assert_eq!(ga.components, gb.components);
        let fa = fs::read_to_string(a.path().join("repos/repo-00000.yaml")).unwrap();
        let fb = fs::read_to_string(b.path().join("repos/repo-00000.yaml")).unwrap();
        assert_eq!(fa, fb);
    }
}
