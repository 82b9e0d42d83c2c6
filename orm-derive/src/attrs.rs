//! Parsing of `#[orm(...)]` attributes, with errors pointing at the attribute.

use proc_macro2::Span;
use syn::{Attribute, Ident, LitInt, LitStr, Path, Result};

/// A column default, as written in `default = ...`.
pub enum DefaultLit {
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
}

/// What `#[orm(...)]` says about a struct.
pub struct StructAttrs {
    pub table: Option<String>,
    pub indexes: Vec<(Vec<Ident>, bool)>,
    pub display: bool,
    pub krate: Option<Path>,
}

/// Which kind of relationship a field declares.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum RelationKind {
    HasMany,
    BelongsTo,
    ManyToMany,
}

/// `has_many(Child, foreign_key = f, back_populates = g, orphans = "delete")`,
/// `belongs_to(Parent, foreign_key = f, back_populates = g)`,
/// `many_to_many(Other, through = Assoc, local = a, remote = b, back_populates = g)`.
pub struct RelationAttr {
    pub kind: RelationKind,
    pub target: Path,
    pub foreign_key: Option<Ident>,
    pub back_populates: Option<Ident>,
    pub orphans: Option<String>,
    pub through: Option<Path>,
    pub local: Option<Ident>,
    pub remote: Option<Ident>,
}

/// What `#[orm(...)]` says about a field.
#[derive(Default)]
pub struct FieldAttrs {
    pub relation: Option<RelationAttr>,
    pub primary_key: bool,
    pub auto: Option<bool>,
    pub column: Option<String>,
    /// The column's name before a rename (`renamed_from = "OLD"`).
    pub renamed_from: Option<String>,
    pub unique: bool,
    pub index: bool,
    pub default: Option<DefaultLit>,
    pub max_length: Option<u32>,
    pub precision: Option<u8>,
    pub scale: Option<u8>,
    pub case_insensitive: bool,
    pub references: Option<Path>,
    pub on_delete: Option<(String, Span)>,
    pub skip: bool,
    /// The version column of optimistic locking.
    pub version: bool,
    /// Where the attribute that set `primary_key` was written.
    pub primary_key_span: Option<Span>,
}

const STRUCT_ATTRS: &str = "`table`, `index(..)`, `unique(..)`, `no_display`, `crate`";
const FIELD_ATTRS: &str = "`primary_key`, `auto`, `column`, `renamed_from`, `unique`, `index`, `default`, \
     `max_length`, `precision`, `scale`, `case_insensitive`, `references`, `on_delete`, `skip`, `version`, `has_many(..)`, \
     `belongs_to(..)`, `many_to_many(..)`";

fn parse_relation(
    meta: &syn::meta::ParseNestedMeta<'_>,
    kind: RelationKind,
) -> Result<RelationAttr> {
    let span = meta.path.require_ident()?.span();
    let mut target: Option<Path> = None;
    let mut r = RelationAttr {
        kind,
        target: syn::parse_quote!(Self),
        foreign_key: None,
        back_populates: None,
        orphans: None,
        through: None,
        local: None,
        remote: None,
    };
    meta.parse_nested_meta(|inner| {
        let p = &inner.path;
        let has_value = inner.input.peek(syn::Token![=]);
        if !has_value && target.is_none() {
            target = Some(p.clone());
        } else if p.is_ident("foreign_key") && kind != RelationKind::ManyToMany {
            r.foreign_key = Some(inner.value()?.parse()?);
        } else if p.is_ident("back_populates") {
            r.back_populates = Some(inner.value()?.parse()?);
        } else if p.is_ident("orphans") && kind == RelationKind::HasMany {
            let lit = inner.value()?.parse::<LitStr>()?;
            if !matches!(lit.value().as_str(), "delete" | "nullify") {
                return Err(syn::Error::new(
                    lit.span(),
                    "orphans must be \"delete\" or \"nullify\"",
                ));
            }
            r.orphans = Some(lit.value());
        } else if p.is_ident("through") && kind == RelationKind::ManyToMany {
            r.through = Some(inner.value()?.parse()?);
        } else if p.is_ident("local") && kind == RelationKind::ManyToMany {
            r.local = Some(inner.value()?.parse()?);
        } else if p.is_ident("remote") && kind == RelationKind::ManyToMany {
            r.remote = Some(inner.value()?.parse()?);
        } else {
            let expected = match kind {
                RelationKind::HasMany => {
                    "the child model, `foreign_key`, `back_populates`, `orphans`"
                }
                RelationKind::BelongsTo => "the parent model, `foreign_key`, `back_populates`",
                RelationKind::ManyToMany => {
                    "the other model, `through`, `local`, `remote`, `back_populates`"
                }
            };
            return Err(inner.error(format!("unknown relationship setting; expected {expected}")));
        }
        Ok(())
    })?;
    r.target = target
        .ok_or_else(|| meta.error("name the related model first, as in `has_many(Album, ...)`"))?;
    let missing =
        |what: &str| syn::Error::new(span, format!("this relationship needs `{what} = ...`"));
    match kind {
        RelationKind::HasMany | RelationKind::BelongsTo => {
            if r.foreign_key.is_none() {
                return Err(missing("foreign_key"));
            }
        }
        RelationKind::ManyToMany => {
            for (v, name) in [
                (r.through.is_none(), "through"),
                (r.local.is_none(), "local"),
                (r.remote.is_none(), "remote"),
            ] {
                if v {
                    return Err(missing(name));
                }
            }
        }
    }
    Ok(r)
}

fn idents_in_parens(meta: &syn::meta::ParseNestedMeta<'_>) -> Result<Vec<Ident>> {
    let mut out = Vec::new();
    meta.parse_nested_meta(|inner| {
        out.push(inner.path.require_ident()?.clone());
        Ok(())
    })?;
    if out.is_empty() {
        return Err(meta.error("expected at least one field name, as in `index(a, b)`"));
    }
    Ok(out)
}

pub fn parse_struct(attrs: &[Attribute]) -> Result<StructAttrs> {
    let mut out = StructAttrs {
        table: None,
        indexes: Vec::new(),
        display: true,
        krate: None,
    };
    for attr in attrs.iter().filter(|a| a.path().is_ident("orm")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("table") {
                out.table = Some(meta.value()?.parse::<LitStr>()?.value());
            } else if meta.path.is_ident("index") {
                out.indexes.push((idents_in_parens(&meta)?, false));
            } else if meta.path.is_ident("unique") {
                out.indexes.push((idents_in_parens(&meta)?, true));
            } else if meta.path.is_ident("no_display") {
                out.display = false;
            } else if meta.path.is_ident("crate") {
                out.krate = Some(meta.value()?.parse::<LitStr>()?.parse()?);
            } else {
                return Err(meta.error(format!(
                    "unknown orm attribute on a struct; expected one of {STRUCT_ATTRS}"
                )));
            }
            Ok(())
        })?;
    }
    Ok(out)
}

fn parse_default(meta: &syn::meta::ParseNestedMeta<'_>) -> Result<DefaultLit> {
    let expr: syn::Expr = meta.value()?.parse()?;
    let (negative, lit) = match &expr {
        syn::Expr::Lit(l) => (false, &l.lit),
        syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Neg(_)) => match &*u.expr {
            syn::Expr::Lit(l) => (true, &l.lit),
            _ => return Err(syn::Error::new_spanned(&expr, "default must be a literal")),
        },
        _ => return Err(syn::Error::new_spanned(&expr, "default must be a literal")),
    };
    let sign = if negative { -1.0 } else { 1.0 };
    Ok(match lit {
        syn::Lit::Bool(b) if !negative => DefaultLit::Bool(b.value),
        syn::Lit::Int(i) => {
            let v: i64 = i.base10_parse()?;
            DefaultLit::Int(if negative { -v } else { v })
        }
        syn::Lit::Float(f) => DefaultLit::Float(sign * f.base10_parse::<f64>()?),
        syn::Lit::Str(s) if !negative => DefaultLit::Text(s.value()),
        _ => {
            return Err(syn::Error::new_spanned(
                &expr,
                "default must be a bool, integer, float or string literal",
            ))
        }
    })
}

pub fn parse_field(attrs: &[Attribute]) -> Result<FieldAttrs> {
    let mut out = FieldAttrs::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("orm")) {
        attr.parse_nested_meta(|meta| {
            let p = &meta.path;
            if p.is_ident("primary_key") {
                out.primary_key = true;
                out.primary_key_span = Some(p.require_ident()?.span());
            } else if p.is_ident("auto") {
                out.auto = Some(match meta.input.peek(syn::Token![=]) {
                    true => meta.value()?.parse::<syn::LitBool>()?.value,
                    false => true,
                });
            } else if p.is_ident("column") {
                out.column = Some(meta.value()?.parse::<LitStr>()?.value());
            } else if p.is_ident("renamed_from") {
                let lit = meta.value()?.parse::<LitStr>()?;
                if lit.value().is_empty() {
                    return Err(syn::Error::new(
                        lit.span(),
                        "renamed_from names the column's old name",
                    ));
                }
                out.renamed_from = Some(lit.value());
            } else if p.is_ident("unique") {
                out.unique = true;
            } else if p.is_ident("index") {
                out.index = true;
            } else if p.is_ident("default") {
                out.default = Some(parse_default(&meta)?);
            } else if p.is_ident("max_length") {
                let n: u32 = meta.value()?.parse::<LitInt>()?.base10_parse()?;
                if n == 0 {
                    return Err(meta.error("max_length must be at least 1"));
                }
                out.max_length = Some(n);
            } else if p.is_ident("precision") {
                let n: u8 = meta.value()?.parse::<LitInt>()?.base10_parse()?;
                if n == 0 {
                    return Err(meta.error("precision must be at least 1"));
                }
                out.precision = Some(n);
            } else if p.is_ident("scale") {
                out.scale = Some(meta.value()?.parse::<LitInt>()?.base10_parse()?);
            } else if p.is_ident("case_insensitive") {
                out.case_insensitive = true;
            } else if p.is_ident("references") {
                out.references = Some(meta.value()?.parse::<Path>()?);
            } else if p.is_ident("on_delete") {
                let lit = meta.value()?.parse::<LitStr>()?;
                let v = lit.value();
                if !matches!(v.as_str(), "cascade" | "restrict" | "set_null" | "no_action") {
                    return Err(syn::Error::new(
                        lit.span(),
                        "on_delete must be \"cascade\", \"restrict\", \"set_null\" or \"no_action\"",
                    ));
                }
                out.on_delete = Some((v, lit.span()));
            } else if p.is_ident("skip") {
                out.skip = true;
            } else if p.is_ident("version") {
                out.version = true;
            } else if p.is_ident("has_many") {
                out.relation = Some(parse_relation(&meta, RelationKind::HasMany)?);
            } else if p.is_ident("belongs_to") {
                out.relation = Some(parse_relation(&meta, RelationKind::BelongsTo)?);
            } else if p.is_ident("many_to_many") {
                out.relation = Some(parse_relation(&meta, RelationKind::ManyToMany)?);
            } else {
                return Err(meta.error(format!(
                    "unknown orm attribute on a field; expected one of {FIELD_ATTRS}"
                )));
            }
            Ok(())
        })?;
    }
    Ok(out)
}
