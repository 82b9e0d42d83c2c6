//! Migration files read back into what was written, and the errors of
//! files edited into invalid states.

use super::*;
use crate::model::ReferentialAction;
use crate::value::ColumnType;

fn every_operation() -> Migration {
    let mut table = TableSchema::new("odd \"t\"");
    table.columns = vec![
        ColumnSchema {
            auto_increment: true,
            ..ColumnSchema::new("id", ColumnType::BigInt).not_null()
        },
        ColumnSchema::new("name", ColumnType::Varchar(40))
            .unique()
            .default_value(DefaultSpec::Text("it's".into())),
        ColumnSchema::new("price", ColumnType::Decimal(10, 2))
            .default_value(DefaultSpec::Float(1.5)),
        ColumnSchema::new("on", ColumnType::Bool)
            .not_null()
            .default_value(DefaultSpec::Bool(true)),
    ];
    table.primary_key = vec!["id".into()];
    table.indexes = vec![IndexSchema {
        name: "ix".into(),
        columns: vec!["name".into(), "price".into()],
        unique: true,
    }];
    let fk = ForeignKeySchema {
        name: "fk_t_p".into(),
        columns: vec!["p".into()],
        ref_table: "parents".into(),
        ref_columns: vec!["id".into()],
        on_delete: ReferentialAction::SetNull,
    };
    table.foreign_keys = vec![fk.clone()];
    let col = ColumnSchema::new("c", ColumnType::Integer);
    let mut wider = col.clone();
    wider.ty = ColumnType::BigInt;
    wider.case_insensitive = true;
    Migration::new(12, "every 'operation'")
        .operation(Operation::CreateTable(table.clone()))
        .operation(Operation::AddColumn {
            table: "t".into(),
            column: col.clone().not_null(),
            fill: Some(DefaultSpec::Int(-3)),
        })
        .operation(Operation::RenameColumn {
            table: "t".into(),
            from: "a".into(),
            to: "b".into(),
        })
        .operation(Operation::AlterColumn {
            table: "t".into(),
            from: col.clone(),
            to: wider,
        })
        .operation(Operation::AddIndex {
            table: "t".into(),
            index: IndexSchema {
                name: "ix2".into(),
                columns: vec!["c".into()],
                unique: false,
            },
        })
        .operation(Operation::DropIndex {
            table: "t".into(),
            index: IndexSchema {
                name: "ix3".into(),
                columns: vec!["c".into()],
                unique: true,
            },
        })
        .operation(Operation::AddUnique {
            table: "t".into(),
            column: "c".into(),
        })
        .operation(Operation::DropUnique {
            table: "t".into(),
            column: "c".into(),
        })
        .operation(Operation::AddForeignKey {
            table: "t".into(),
            foreign_key: fk.clone(),
        })
        .operation(Operation::DropForeignKey {
            table: "t".into(),
            foreign_key: ForeignKeySchema {
                on_delete: ReferentialAction::NoAction,
                ..fk
            },
        })
        .sql("UPDATE t SET c = 'x''y'\n WHERE c IS NULL", None)
        .operation(Operation::DropColumn {
            table: "t".into(),
            column: col,
        })
        .operation(Operation::DropTable(table))
}

#[test]
fn every_operation_reads_back_from_its_file() {
    let m = every_operation();
    let text = m.to_text();
    assert_eq!(parse(&text).unwrap(), m, "{text}");
    assert!(text.contains("lossy drop column"), "{text}");
    assert!(
        text.contains("# drops table odd \"t\" and its rows\nlossy drop table"),
        "{text}"
    );
}

#[test]
fn edited_files_are_refused_with_the_line() {
    let text = every_operation().to_text();
    // The mark removed from a lossy step.
    let unmarked = text.replace("lossy drop column", "drop column");
    let err = parse(&unmarked).unwrap_err().to_string();
    assert!(err.contains("mark it `lossy`"), "{err}");
    assert!(
        err.starts_with("migration 12: invalid migration file, line"),
        "{err}"
    );
    // A misspelt type.
    let err = parse(&text.replace("varchar(40)", "varchr(40)"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("expected a type"), "{err}");
    // A quote left open.
    let err = parse("version 1\nname 'x\n").unwrap_err().to_string();
    assert!(err.contains("line 2: the quote opened here"), "{err}");
    // No header.
    let err = parse("add unique \"t\".\"c\"").unwrap_err().to_string();
    assert!(err.contains("line 1: expected `version`"), "{err}");
    // A lossy mark on a safe step.
    let err = parse("version 1 name 'x' lossy add unique \"t\".\"c\"")
        .unwrap_err()
        .to_string();
    assert!(err.contains("loses nothing"), "{err}");
}

#[test]
fn inverses_undo_in_a_description() {
    let m = every_operation();
    let mut schema = DatabaseSchema::default();
    let create = &m.steps[0];
    let Step::Schema(op) = create else {
        panic!("a schema step")
    };
    op.apply_to(&mut schema).unwrap();
    let before = schema.clone();
    let add = Operation::AddColumn {
        table: "odd \"t\"".into(),
        column: ColumnSchema::new("extra", ColumnType::Text),
        fill: None,
    };
    add.apply_to(&mut schema).unwrap();
    add.inverse().apply_to(&mut schema).unwrap();
    assert_eq!(schema, before);
    let err = Operation::RenameColumn {
        table: "odd \"t\"".into(),
        from: "missing".into(),
        to: "x".into(),
    }
    .apply_to(&mut schema)
    .unwrap_err();
    assert!(err
        .to_string()
        .contains("column odd \"t\".missing does not exist"));
}

#[test]
fn sql_steps_keep_literals_and_requote_identifiers() {
    struct Backticks;
    impl crate::Dialect for Backticks {
        fn name(&self) -> &'static str {
            "test"
        }
        fn identifier_quote(&self) -> char {
            '`'
        }
        fn write_placeholder(&self, _: usize, out: &mut String) {
            out.push('?');
        }
        fn column_type(&self, _: ColumnType, _: bool) -> String {
            String::new()
        }
        fn auto_key_column(&self, _: ColumnType) -> String {
            String::new()
        }
        fn escape_string_literal(&self, text: &str) -> String {
            text.replace('\\', "\\\\")
        }
    }
    let sql = r#"UPDATE "t" SET "a""b" = 'x "y" ''z'' \' "c"' WHERE "k`" = 1"#;
    assert_eq!(
        quoting::requote(sql, &Backticks),
        r#"UPDATE `t` SET `a"b` = 'x "y" ''z'' \' "c"' WHERE `k``` = 1"#
    );
}

/// Version tables keep checksums: they never change.
#[test]
fn checksums_are_pinned() {
    let m = Migration::new(1, "pinned").sql("DELETE FROM \"t\"", Some("SELECT 1"));
    assert_eq!(m.checksum(), "2d4c801e1bb66547");
    assert_eq!(m.checksum_of(0), "70847a4882348d93");
}
