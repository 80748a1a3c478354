//! `lint --format github`: one GitHub Actions workflow command per finding
//! (`::error file=...,line=...::message`), shown as an annotation on the
//! pull request's diff.

use pgmigrate_build::{Diagnostic, Level};

/// The workflow command for one finding.
pub fn annotation(d: &Diagnostic) -> String {
    let command = match d.level {
        Level::Deny => "error",
        Level::Warn => "warning",
        Level::Allow => "notice",
    };
    let mut properties = vec![format!("file={}", property(&d.path))];
    if d.line > 0 {
        properties.push(format!("line={}", d.line));
        properties.push(format!("col={}", d.column));
        if let Some((line, column)) = d.end() {
            properties.push(format!("endLine={line}"));
            properties.push(format!("endColumn={column}"));
        }
    }
    properties.push(format!("title={}", property(d.rule.id())));
    format!("::{command} {}::{}", properties.join(","), data(&d.text()))
}

/// The message part: `%`, CR and LF encoded, as the runner decodes them.
fn data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A property value: like [`data`], plus `:` and `,`, which end a value.
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use pgmigrate_build::{Config, Direction, Rule};

    #[test]
    fn escapes_messages_and_properties() {
        assert_eq!(data("100% done\r\nnext"), "100%25 done%0D%0Anext");
        assert_eq!(property("a:b,c%"), "a%3Ab%2Cc%25");
    }

    #[test]
    fn one_annotation_per_finding_with_its_range() {
        let check = Config::new().ignore_config_file().check_file(
            "db/1_a,b.sql",
            b"\nDROP TABLE t;\n",
            Direction::Up,
        );
        let d = check
            .diagnostics
            .iter()
            .find(|d| d.rule == Rule::UnguardedDrop)
            .unwrap();
        let line = annotation(d);
        assert!(
            line.starts_with(
                "::error file=db/1_a%2Cb.sql,line=2,col=1,endLine=2,endColumn=13,title=unguarded-drop::DROP TABLE without IF EXISTS%0Ahelp: "
            ),
            "{line}"
        );
        assert!(!line.contains('\n'));
    }
}
