//! The README's code is run: its embedding example is `readme_snippet.rs` of this test binary,
//! word for word, with the dependency lines it shows; `.ci/run` runs its curl walk-through
//! against the release binary, twice.

const README: &str = include_str!("../../README.md");
const SNIPPET: &str = include_str!("readme_snippet.rs");

/// The code blocks of `language` in the README section that starts with `heading`.
fn blocks(heading: &str, language: &str) -> Vec<String> {
    let section = README
        .split_once(heading)
        .unwrap_or_else(|| panic!("README has no {heading:?}"))
        .1;
    let section = section.split("\n## ").next().unwrap();
    let fence = format!("```{language}\n");
    section
        .split(fence.as_str())
        .skip(1)
        .map(|rest| rest.split("```").next().unwrap().to_owned())
        .collect()
}

#[test]
fn the_embedding_example_of_the_readme_is_a_test_that_runs() {
    let rust = blocks("### 4. Embedded in Rust tests", "rust");
    assert_eq!(
        rust.first().map(String::as_str),
        Some(SNIPPET),
        "the README's example must be tests/api/readme_snippet.rs word for word"
    );
    let toml = blocks("### 4. Embedded in Rust tests", "toml").join("\n");
    for needle in [
        "[dev-dependencies]",
        "wa-onprem-emulator = {",
        "tokio = { version = \"1\", features = [\"macros\", \"rt\"] }",
        "reqwest",
        "serde_json",
    ] {
        assert!(
            toml.contains(needle),
            "{needle:?} missing from the README's dependency lines"
        );
    }
}

/// The README is a front page, not the reference (which is the book in docs/).
#[test]
fn the_readme_is_a_front_page_that_points_at_the_book() {
    let lines = README.lines().count();
    assert!(
        lines <= 325,
        "the README has {lines} lines; the reference belongs in docs/"
    );
    for chapter in [
        "docs/src/vendor-api.md",
        "docs/src/control-api.md",
        "docs/src/configuration.md",
        "docs/src/cloud.md",
    ] {
        assert!(README.contains(chapter), "the README links {chapter}");
    }
}
