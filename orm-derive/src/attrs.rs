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

/// What `#[orm(...)]` says about a field.
#[derive(Default)]
pub struct FieldAttrs {
    pub primary_key: bool,
    pub auto: Option<bool>,
    pub column: Option<String>,
    pub unique: bool,
    pub index: bool,
    pub default: Option<DefaultLit>,
    pub max_length: Option<u32>,
    pub case_insensitive: bool,
    pub references: Option<Path>,
    pub on_delete: Option<(String, Span)>,
    pub skip: bool,
    /// Where the attribute that set `primary_key` was written.
    pub primary_key_span: Option<Span>,
}

const STRUCT_ATTRS: &str = "`table`, `index(..)`, `unique(..)`, `no_display`, `crate`";
const FIELD_ATTRS: &str = "`primary_key`, `auto`, `column`, `unique`, `index`, `default`, \
     `max_length`, `case_insensitive`, `references`, `on_delete`, `skip`";

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
