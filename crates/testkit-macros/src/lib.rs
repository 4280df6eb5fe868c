//! `#[postern_testkit::test]`: declares a test for Postern's test harness (see
//! `postern-testkit`), with the outside services it needs.
//!
//! ```text
//! #[postern_testkit::test(needs(Postgres, Nats), multi_thread)]
//! async fn three_nodes_share_conversations() { … }
//! ```
//!
//! The function stays as written; beside it the attribute registers a `Test` (its module
//! path, name, needs and a plain `fn()` that runs it, on a fresh Tokio runtime when it is
//! `async`) for the harness's `main` to collect. `multi_thread` gives an `async` test two
//! worker threads instead of one current thread, as `#[tokio::test(flavor = "multi_thread",
//! worker_threads = 2)]` did.

use proc_macro::TokenStream;
use proc_macro2::Span;
use quote::quote;
use syn::{Ident, ItemFn, parse_macro_input};

#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut needs: Vec<Ident> = Vec::new();
    let mut multi_thread = false;
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("needs") {
            meta.parse_nested_meta(|service| match service.path.get_ident() {
                Some(ident) => {
                    needs.push(ident.clone());
                    Ok(())
                }
                None => Err(service.error("expected a service: Postgres, Nats, S3 or Browser")),
            })
        } else if meta.path.is_ident("multi_thread") {
            multi_thread = true;
            Ok(())
        } else {
            Err(meta.error("expected `needs(…)` or `multi_thread`"))
        }
    });
    parse_macro_input!(args with parser);
    let function = parse_macro_input!(item as ItemFn);
    match register(&function, &needs, multi_thread) {
        Ok(tokens) => tokens.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

fn register(
    function: &ItemFn,
    needs: &[Ident],
    multi_thread: bool,
) -> syn::Result<proc_macro2::TokenStream> {
    let signature = &function.sig;
    if !signature.inputs.is_empty() || !signature.generics.params.is_empty() {
        return Err(syn::Error::new_spanned(
            signature,
            "a test takes no arguments and has no generic parameters",
        ));
    }
    if !matches!(signature.output, syn::ReturnType::Default) {
        return Err(syn::Error::new_spanned(
            &signature.output,
            "a test returns nothing: it fails by panicking",
        ));
    }
    if multi_thread && signature.asyncness.is_none() {
        return Err(syn::Error::new(
            Span::call_site(),
            "`multi_thread` applies to `async` tests only",
        ));
    }
    let name = &signature.ident;
    let call = if signature.asyncness.is_some() {
        quote!(::postern_testkit::block_on(#name(), #multi_thread))
    } else {
        quote!(#name())
    };
    Ok(quote! {
        #function

        const _: () = {
            fn run() {
                #call
            }
            ::postern_testkit::inventory::submit! {
                ::postern_testkit::Test {
                    module: ::core::module_path!(),
                    name: ::core::stringify!(#name),
                    needs: &[#(::postern_testkit::Service::#needs),*],
                    run,
                }
            }
        };
    })
}
