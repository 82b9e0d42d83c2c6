//! Expansion of `#[derive(Model)]`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, Ident, Result, Type};

use crate::attrs::{parse_field, parse_struct, DefaultLit, FieldAttrs, RelationKind};

struct Field {
    ident: Ident,
    ty: Type,
    attrs: FieldAttrs,
    column: String,
}

/// The type inside `Option<...>`, if `ty` is written as an Option.
fn option_inner(ty: &Type) -> Option<&Type> {
    let Type::Path(p) = ty else { return None };
    let seg = p.path.segments.last()?;
    if seg.ident != "Option" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &seg.arguments else {
        return None;
    };
    match args.args.first()? {
        syn::GenericArgument::Type(t) => Some(t),
        _ => None,
    }
}

fn last_ident(ty: &Type) -> Option<String> {
    let Type::Path(p) = ty else { return None };
    p.path.segments.last().map(|s| s.ident.to_string())
}

fn base_type(ty: &Type) -> &Type {
    option_inner(ty).unwrap_or(ty)
}

fn is_integer(ty: &Type) -> bool {
    matches!(
        last_ident(base_type(ty)).as_deref(),
        Some("i16" | "i32" | "i64")
    )
}

fn is_text(ty: &Type) -> bool {
    matches!(last_ident(base_type(ty)).as_deref(), Some("String"))
}

fn snake_case(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

pub fn expand(input: DeriveInput) -> Result<TokenStream> {
    let sattrs = parse_struct(&input.attrs)?;
    let name = &input.ident;
    if !input.generics.params.is_empty() {
        return Err(syn::Error::new(
            input.generics.span(),
            "a Model cannot have generic parameters",
        ));
    }
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new(
            name.span(),
            "#[derive(Model)] works on structs with named fields only",
        ));
    };
    let Fields::Named(named) = &data.fields else {
        return Err(syn::Error::new(
            name.span(),
            "#[derive(Model)] works on structs with named fields only",
        ));
    };
    let krate: syn::Path = sattrs
        .krate
        .clone()
        .unwrap_or_else(|| syn::parse_quote!(::athanor));
    let table = sattrs
        .table
        .clone()
        .unwrap_or_else(|| snake_case(&name.to_string()));

    let mut all = Vec::new();
    for f in &named.named {
        let attrs = parse_field(&f.attrs)?;
        let ident = f
            .ident
            .clone()
            .ok_or_else(|| syn::Error::new(f.span(), "unnamed field"))?;
        let column = attrs.column.clone().unwrap_or_else(|| ident.to_string());
        all.push(Field {
            ident,
            ty: f.ty.clone(),
            attrs,
            column,
        });
    }
    let is_column = |f: &&Field| !f.attrs.skip && f.attrs.relation.is_none();
    let columns: Vec<&Field> = all.iter().filter(is_column).collect();
    let skipped: Vec<&Field> = all.iter().filter(|f| !is_column(f)).collect();

    for f in &skipped {
        let a = &f.attrs;
        if a.primary_key
            || a.unique
            || a.index
            || a.version
            || a.references.is_some()
            || a.column.is_some()
        {
            return Err(syn::Error::new(
                f.ident.span(),
                format!(
                    "field `{}` is {}: it is not a column and takes no column attributes",
                    f.ident,
                    if a.skip { "`skip`" } else { "a relationship" }
                ),
            ));
        }
    }
    for (i, f) in columns.iter().enumerate() {
        if columns[..i].iter().any(|g| g.column == f.column) {
            return Err(syn::Error::new(
                f.ident.span(),
                format!("two fields map to column `{}`", f.column),
            ));
        }
        if f.attrs.max_length.is_some() && !is_text(&f.ty) {
            return Err(syn::Error::new(
                f.ty.span(),
                format!(
                    "`max_length` applies to String fields; `{}` is not one",
                    f.ident
                ),
            ));
        }
        let is_decimal = matches!(last_ident(base_type(&f.ty)).as_deref(), Some("Decimal"));
        if (f.attrs.precision.is_some() || f.attrs.scale.is_some()) && !is_decimal {
            return Err(syn::Error::new(
                f.ty.span(),
                format!(
                    "`precision` and `scale` apply to Decimal fields; `{}` is not one",
                    f.ident
                ),
            ));
        }
        if f.attrs.scale.is_some() && f.attrs.precision.is_none() {
            return Err(syn::Error::new(
                f.ident.span(),
                "`scale` needs `precision` too",
            ));
        }
        if let (Some(p), Some(s)) = (f.attrs.precision, f.attrs.scale) {
            if s > p {
                return Err(syn::Error::new(
                    f.ident.span(),
                    "`scale` cannot exceed `precision`",
                ));
            }
        }
        if f.attrs.case_insensitive && !is_text(&f.ty) {
            return Err(syn::Error::new(
                f.ty.span(),
                format!(
                    "`case_insensitive` applies to String fields; `{}` is not one",
                    f.ident
                ),
            ));
        }
        if let Some((_, span)) = &f.attrs.on_delete {
            if f.attrs.references.is_none() {
                return Err(syn::Error::new(
                    *span,
                    "`on_delete` needs `references = Model` on the same field",
                ));
            }
        }
        if matches!(&f.attrs.on_delete, Some((a, _)) if a == "set_null")
            && option_inner(&f.ty).is_none()
        {
            return Err(syn::Error::new(
                f.ty.span(),
                format!(
                    "`on_delete = \"set_null\"` needs a nullable field: make `{}` an Option",
                    f.ident
                ),
            ));
        }
    }

    let pk: Vec<usize> = columns
        .iter()
        .enumerate()
        .filter(|(_, f)| f.attrs.primary_key)
        .map(|(i, _)| i)
        .collect();
    if pk.is_empty() {
        return Err(syn::Error::new(
            name.span(),
            format!("model `{name}` has no primary key: mark a field with #[orm(primary_key)]"),
        ));
    }
    for f in &columns {
        if let Some(auto) = f.attrs.auto {
            if !f.attrs.primary_key {
                return Err(syn::Error::new(
                    f.ident.span(),
                    "`auto` applies to a primary key field only",
                ));
            }
            if auto && (pk.len() > 1 || !is_integer(&f.ty)) {
                return Err(syn::Error::new(
                    f.ty.span(),
                    "an auto-generated key must be the only key field and an integer (i16, i32, i64)",
                ));
            }
        }
    }
    let auto_key: Option<usize> = match pk.as_slice() {
        [i] if is_integer(&columns[*i].ty) && columns[*i].attrs.auto != Some(false) => Some(*i),
        _ => None,
    };

    // Typed column handles: Artist::NAME.
    let handles = columns.iter().enumerate().map(|(i, f)| {
        let konst = format_ident!("{}", f.ident.to_string().to_uppercase());
        let ty = &f.ty;
        let col = &f.column;
        let doc = format!("The `{}` column (field `{}`).", f.column, f.ident);
        quote! {
            #[doc = #doc]
            pub const #konst: #krate::Column<#name, #ty> = #krate::Column::new(#table, #col, #i);
        }
    });

    let relations = relation_items(&krate, name, &all);

    let column_defs = columns.iter().enumerate().map(|(i, f)| {
        let ty = &f.ty;
        let col = &f.column;
        let field = f.ident.to_string();
        let is_pk = f.attrs.primary_key;
        let is_auto = auto_key == Some(i);
        let unique = f.attrs.unique;
        let ci = f.attrs.case_insensitive;
        let column_type = match (f.attrs.max_length, f.attrs.precision) {
            (Some(n), _) => quote!(#krate::ColumnType::Varchar(#n)),
            (None, Some(p)) => {
                let s = f.attrs.scale.unwrap_or(0);
                quote!(#krate::ColumnType::Decimal(#p, #s))
            }
            (None, None) => quote!(<#ty as #krate::SqlType>::COLUMN_TYPE),
        };
        let default = match &f.attrs.default {
            None => quote!(::core::option::Option::None),
            Some(DefaultLit::Bool(b)) => {
                quote!(::core::option::Option::Some(#krate::DefaultValue::Bool(#b)))
            }
            Some(DefaultLit::Int(n)) => {
                quote!(::core::option::Option::Some(#krate::DefaultValue::Int(#n)))
            }
            Some(DefaultLit::Float(x)) => {
                quote!(::core::option::Option::Some(#krate::DefaultValue::Float(#x)))
            }
            Some(DefaultLit::Text(s)) => {
                quote!(::core::option::Option::Some(#krate::DefaultValue::Text(#s)))
            }
        };
        let renamed_from = match &f.attrs.renamed_from {
            None => quote!(::core::option::Option::None),
            Some(old) => quote!(::core::option::Option::Some(#old)),
        };
        quote! {
            #krate::ColumnDef {
                name: #col,
                field: #field,
                ty: #column_type,
                nullable: <#ty as #krate::SqlType>::NULLABLE && !#is_pk,
                primary_key: #is_pk,
                auto_increment: #is_auto,
                unique: #unique,
                case_insensitive: #ci,
                default: #default,
                renamed_from: #renamed_from,
            }
        }
    });

    let mut fk_defs = Vec::new();
    let mut fk_checks = Vec::new();
    for f in &columns {
        let Some(target) = &f.attrs.references else {
            continue;
        };
        let col = &f.column;
        let action = match f.attrs.on_delete.as_ref().map(|(a, _)| a.as_str()) {
            Some("cascade") => quote!(Cascade),
            Some("restrict") => quote!(Restrict),
            Some("set_null") => quote!(SetNull),
            _ => quote!(NoAction),
        };
        fk_defs.push(quote! {
            #krate::ForeignKeyDef {
                columns: &[#col],
                references: {
                    fn __athanor_target() -> &'static #krate::TableDef {
                        <#target as #krate::Model>::TABLE
                    }
                    __athanor_target
                },
                referenced_columns: &[],
                on_delete: #krate::ReferentialAction::#action,
            }
        });
        let ty = &f.ty;
        // The foreign key's type must be the referenced key's type.
        fk_checks.push(quote_spanned! {ty.span()=>
            const _: fn() = || {
                #krate::assert_foreign_key_type::<
                    <#ty as #krate::SqlType>::Base,
                    <#target as #krate::Model>::Key,
                >();
            };
        });
    }

    let mut index_defs = Vec::new();
    for f in columns.iter().filter(|f| f.attrs.index) {
        let ix = format!("ix_{}_{}", table, f.column);
        let col = &f.column;
        index_defs.push(quote!(#krate::IndexDef { name: #ix, columns: &[#col], unique: false }));
    }
    for (fields, unique) in &sattrs.indexes {
        let mut cols = Vec::new();
        for ident in fields {
            let Some(f) = columns.iter().find(|f| f.ident == *ident) else {
                return Err(syn::Error::new(
                    ident.span(),
                    format!("`{ident}` is not a column field of `{name}`"),
                ));
            };
            cols.push(f.column.clone());
        }
        let prefix = if *unique { "uq" } else { "ix" };
        let ix = format!("{prefix}_{}_{}", table, cols.join("_"));
        index_defs
            .push(quote!(#krate::IndexDef { name: #ix, columns: &[#(#cols),*], unique: #unique }));
    }

    let width = columns.len();
    let reads = columns.iter().enumerate().map(|(i, f)| {
        let ident = &f.ident;
        let ty = &f.ty;
        let col = &f.column;
        quote! {
            #ident: <#ty as #krate::SqlType>::take_column(row, offset + #i)?
                .map_err(|e| #krate::Error::from(e.at(#table, #col)))?
        }
    });
    let defaults = skipped.iter().map(|f| {
        let ident = &f.ident;
        quote!(#ident: ::core::default::Default::default())
    });
    let value_arms = columns.iter().enumerate().map(|(i, f)| {
        let ident = &f.ident;
        let ty = &f.ty;
        quote!(#i => <#ty as #krate::SqlType>::to_value_ref(&self.#ident))
    });
    let set_arms = columns.iter().enumerate().map(|(i, f)| {
        let ident = &f.ident;
        let ty = &f.ty;
        let col = &f.column;
        quote! {
            #i => {
                self.#ident = <#ty as #krate::SqlType>::from_value_ref(value)
                    .map_err(|e| #krate::Error::from(e.at(#table, #col)))?;
            }
        }
    });
    let pk_idx = &pk[..];
    let key_type = if pk.len() == 1 {
        let ty = base_type(&columns[pk[0]].ty);
        quote!(#ty)
    } else {
        let tys = pk.iter().map(|&i| base_type(&columns[i].ty));
        quote!((#(#tys,)*))
    };
    let versions: Vec<usize> = columns
        .iter()
        .enumerate()
        .filter(|(_, f)| f.attrs.version)
        .map(|(i, _)| i)
        .collect();
    if let Some(&second) = versions.get(1) {
        return Err(syn::Error::new(
            columns[second].ident.span(),
            "a model has at most one `version` field",
        ));
    }
    if let Some(&i) = versions.first() {
        let f = &columns[i];
        if f.attrs.primary_key || option_inner(&f.ty).is_some() || !is_integer(&f.ty) {
            return Err(syn::Error::new(
                f.ty.span(),
                "a `version` field must be a non-key integer (i16, i32, i64), not an Option",
            ));
        }
    }
    let version_tokens = match versions.first() {
        Some(i) => quote!(::core::option::Option::Some(#i)),
        None => quote!(::core::option::Option::None),
    };
    let auto_key_tokens = match auto_key {
        Some(i) => quote!(::core::option::Option::Some(#i)),
        None => quote!(::core::option::Option::None),
    };
    let (unset, set_key) = match auto_key {
        Some(i) => {
            let f = &columns[i];
            let ident = &f.ident;
            let ty = &f.ty;
            let col = &f.column;
            (
                quote!(<#ty as #krate::AutoKey>::is_unset(&self.#ident)),
                quote! {
                    self.#ident = <#ty as #krate::AutoKey>::from_generated(key)
                        .map_err(|e| #krate::Error::from(e.at(#table, #col)))?;
                    ::core::result::Result::Ok(())
                },
            )
        }
        None => (
            quote!(false),
            quote! {
                let _ = key;
                ::core::result::Result::Ok(())
            },
        ),
    };
    let model_name = name.to_string();
    let associations = association_defs(&krate, name, &all);

    let display = sattrs.display.then(|| {
        let parts = columns.iter().enumerate().map(|(i, f)| {
            let label = format!("{}{}=", if i == 0 { "" } else { ", " }, f.ident);
            let ident = &f.ident;
            let ty = &f.ty;
            quote! {
                f.write_str(#label)?;
                ::core::fmt::Display::fmt(&<#ty as #krate::SqlType>::to_value_ref(&self.#ident), f)?;
            }
        });
        quote! {
            impl ::core::fmt::Display for #name {
                fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                    f.write_str(#model_name)?;
                    f.write_str("(")?;
                    #(#parts)*
                    f.write_str(")")
                }
            }
        }
    });

    Ok(quote! {
        impl #name {
            #(#handles)*
            #(#relations)*
        }

        #(#fk_checks)*

        impl #krate::FromRow for #name {
            const WIDTH: usize = #width;
            const PRESENCE: &'static [usize] = &[#(#pk_idx),*];
            fn from_row(row: &dyn #krate::Row, offset: usize) -> #krate::Result<Self> {
                ::core::result::Result::Ok(Self {
                    #(#reads,)*
                    #(#defaults,)*
                })
            }
        }

        impl #krate::Model for #name {
            const TABLE: &'static #krate::TableDef = &#krate::TableDef {
                name: #table,
                model: #model_name,
                columns: &[#(#column_defs),*],
                primary_key: &[#(#pk_idx),*],
                auto_key: #auto_key_tokens,
                version: #version_tokens,
                foreign_keys: &[#(#fk_defs),*],
                indexes: &[#(#index_defs),*],
            };
            type Key = #key_type;
            const ASSOCIATIONS: &'static [#krate::Association] = &[#(#associations),*];

            fn value_at(&self, index: usize) -> #krate::ValueRef<'_> {
                match index {
                    #(#value_arms,)*
                    _ => #krate::ValueRef::Null,
                }
            }

            fn auto_key_unset(&self) -> bool {
                #unset
            }

            fn set_auto_key(&mut self, key: i64) -> #krate::Result<()> {
                #set_key
            }

            fn set_value(&mut self, index: usize, value: #krate::ValueRef<'_>) -> #krate::Result<()> {
                match index {
                    #(#set_arms)*
                    _ => {
                        return ::core::result::Result::Err(#krate::Error::InvalidModel(
                            ::std::format!("{} has no column at index {}", #model_name, index),
                        ))
                    }
                }
                ::core::result::Result::Ok(())
            }
        }

        #display
    })
}

fn upper(ident: &Ident) -> Ident {
    Ident::new(&ident.to_string().to_uppercase(), ident.span())
}

/// The relationship constants (`Artist::ALBUMS`) and the compile-time checks
/// of `back_populates`.
fn relation_items(krate: &syn::Path, name: &Ident, fields: &[Field]) -> Vec<TokenStream> {
    let mut out = Vec::new();
    for f in fields {
        let Some(r) = &f.attrs.relation else { continue };
        let konst = upper(&f.ident);
        let field = &f.ident;
        let field_name = f.ident.to_string();
        let target = &r.target;
        let doc = format!("The `{}` relationship.", f.ident);
        let getter = |ty: TokenStream| {
            quote_spanned! {f.ty.span()=> {
                fn __athanor_field(m: &mut #name) -> &mut #ty {
                    &mut m.#field
                }
                __athanor_field
            }}
        };
        let back = r.back_populates.as_ref().map(|b| {
            let check = format_ident!("__ATHANOR_BACK_POPULATES_{}", konst);
            let b = upper(b);
            let expected = match r.kind {
                RelationKind::HasMany => quote!(#krate::BelongsTo<#target, #name>),
                RelationKind::BelongsTo => quote!(#krate::HasMany<#target, #name>),
                RelationKind::ManyToMany => {
                    let through = r.through.as_ref();
                    quote!(#krate::ManyToMany<#target, #name, #through>)
                }
            };
            quote_spanned! {b.span()=>
                #[doc(hidden)]
                #[allow(non_upper_case_globals, dead_code)]
                const #check: () = {
                    let _: #expected = <#target>::#b;
                };
            }
        });
        let item = match r.kind {
            RelationKind::HasMany => {
                let fk = upper(r.foreign_key.as_ref().expect("checked by the parser"));
                let orphans = match r.orphans.as_deref() {
                    Some("delete") => quote!(Delete),
                    Some("nullify") => quote!(Nullify),
                    _ => quote!(Default),
                };
                let get = getter(quote!(#krate::Related<::std::vec::Vec<#target>>));
                quote! {
                    #[doc = #doc]
                    pub const #konst: #krate::HasMany<#name, #target> = #krate::HasMany::new(
                        #field_name,
                        #krate::foreign_key_column::<#target, _, #name>(<#target>::#fk),
                        #get,
                        #krate::Orphans::#orphans,
                    );
                }
            }
            RelationKind::BelongsTo => {
                let fk = upper(r.foreign_key.as_ref().expect("checked by the parser"));
                let get = getter(quote!(#krate::Related<#target>));
                quote! {
                    #[doc = #doc]
                    pub const #konst: #krate::BelongsTo<#name, #target> = #krate::BelongsTo::new(
                        #field_name,
                        #krate::foreign_key_column::<#name, _, #target>(<#name>::#fk),
                        #get,
                    );
                }
            }
            RelationKind::ManyToMany => {
                let through = r.through.as_ref().expect("checked by the parser");
                let local = upper(r.local.as_ref().expect("checked by the parser"));
                let remote = upper(r.remote.as_ref().expect("checked by the parser"));
                let get = getter(quote!(#krate::Related<::std::vec::Vec<#target>>));
                quote! {
                    #[doc = #doc]
                    pub const #konst: #krate::ManyToMany<#name, #target, #through> = #krate::ManyToMany::new(
                        #field_name,
                        #krate::foreign_key_column::<#through, _, #name>(<#through>::#local),
                        #krate::foreign_key_column::<#through, _, #target>(<#through>::#remote),
                        #get,
                    );
                }
            }
        };
        out.push(item);
        if let Some(back) = back {
            out.push(back);
        }
    }
    out
}

/// The association tables of the `many_to_many` fields, with the column of
/// each that references this model.
fn association_defs(krate: &syn::Path, name: &Ident, fields: &[Field]) -> Vec<TokenStream> {
    fields
        .iter()
        .filter_map(|f| f.attrs.relation.as_ref())
        .filter(|r| r.kind == RelationKind::ManyToMany)
        .map(|r| {
            let through = r.through.as_ref().expect("checked by the parser");
            let local = upper(r.local.as_ref().expect("checked by the parser"));
            quote! {
                #krate::Association {
                    table: {
                        fn __athanor_through() -> &'static #krate::TableDef {
                            <#through as #krate::Model>::TABLE
                        }
                        __athanor_through
                    },
                    column: #krate::foreign_key_column::<#through, _, #name>(<#through>::#local),
                }
            }
        })
        .collect()
}

/// `#[derive(FromRow)]`: fields read from consecutive columns.
pub fn expand_from_row(input: DeriveInput) -> Result<TokenStream> {
    let sattrs = parse_struct(&input.attrs)?;
    let krate: syn::Path = sattrs.krate.unwrap_or_else(|| syn::parse_quote!(::athanor));
    let name = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new(
            name.span(),
            "#[derive(FromRow)] works on structs only",
        ));
    };
    let fields: Vec<&syn::Field> = data.fields.iter().collect();
    let types: Vec<&Type> = fields.iter().map(|f| &f.ty).collect();
    let reads = fields.iter().map(|f| {
        let ty = &f.ty;
        quote! {{
            let value = <#ty as #krate::FromRow>::from_row(row, at)?;
            at += <#ty as #krate::FromRow>::WIDTH;
            value
        }}
    });
    let body = match &data.fields {
        Fields::Named(_) => {
            let names = fields.iter().map(|f| f.ident.as_ref());
            quote!(Self { #(#names: #reads,)* })
        }
        Fields::Unnamed(_) => quote!(Self( #(#reads,)* )),
        Fields::Unit => quote!(Self),
    };
    Ok(quote! {
        impl #impl_generics #krate::FromRow for #name #ty_generics #where_clause {
            const WIDTH: usize = 0 #(+ <#types as #krate::FromRow>::WIDTH)*;
            #[allow(unused_mut, unused_variables, unused_assignments)]
            fn from_row(row: &dyn #krate::Row, offset: usize) -> #krate::Result<Self> {
                let mut at = offset;
                ::core::result::Result::Ok(#body)
            }
        }
    })
}
