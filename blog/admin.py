"""Posts in the admin, and the one place where blog and accounts meet: a user's posts inline.

Both pages cost the same at a million posts as at a thousand: no COUNT(*) over the whole posts
table, no per-row queries, and never more than a page of posts rendered.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import InlineModelAdmin
from django.contrib.admin.utils import NestedObjects, quote
from django.contrib.admin.views.main import PAGE_VAR
from django.contrib.admin.widgets import AutocompleteSelect
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.paginator import EmptyPage, Page, Paginator
from django.db import IntegrityError, connections, router, transaction
from django.db.models import Count, ForeignKey, QuerySet
from django.forms import ModelChoiceField
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.text import capfirst, smart_split, unescape_string_literal
from rangefilter.filters import DateRangeQuickSelectListFilterBuilder

from accounts.admin import UserAdmin
from blog import search
from blog.models import AuthorUsername, Post, PostQuerySet, SentPostForm
from spreadsheets.admin import SpreadsheetAdminMixin

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

# The changelist counts at most this many posts; past it, search or filter to narrow down.
COUNT_CAP = 10_000
# A user's change page shows this many of their newest posts; the rest are in the changelist.
INLINE_POSTS = 20


def unquoted(word: str) -> str:
    """A search word as Django's admin searches for it: `"two words"` without its quotes."""
    if word[:1] in "\"'" and len(word) > 1 and word[-1] == word[0]:
        return unescape_string_literal(word)
    return word


class PageOutOfRange(Exception):
    """A page number past the counted pages; PostAdmin says so instead of Django's silent
    redirect to the first page (`?e=1`)."""

    def __init__(self, number: int | str, paginator: "CappedCountPaginator") -> None:
        super().__init__(number)
        self.number, self.paginator = number, paginator


class CappedCountPaginator(Paginator):
    """Counts up to COUNT_CAP + 1 rows (`SELECT COUNT(*) FROM (... LIMIT 10001)`), so the cost
    of a page does not grow with the table; the page links stop at the cap."""

    object_list: QuerySet[Any]  # the changelist's; never a plain list

    @cached_property
    def count(self) -> int:
        # Without the list's ORDER BY: any 10,001 rows count the same, and MariaDB would
        # otherwise sort every post to pick them. Only ids: Django would otherwise keep the
        # list's annotations in the counted subquery, and look up 10,001 authors' names.
        return self.object_list.order_by().values("pk")[: COUNT_CAP + 1].count()

    @property
    def count_is_capped(self) -> bool:
        return self.count > COUNT_CAP

    @cached_property
    def total_in_words(self) -> str:
        """What the list says of its size, the same above it and below: "60 posts", "more than
        10,000 posts", or, for the whole table on PostgreSQL, "about 1,000,000 posts"."""
        name = self.object_list.model._meta.verbose_name_plural
        # Asked whether needed or not (one row of pg_class): a page runs the same queries
        # whatever the size of the table.
        estimate = planner_estimate(self.object_list)
        if not self.count_is_capped:
            noun = self.object_list.model._meta.verbose_name if self.count == 1 else name
            return f"{self.count} {noun}"
        if estimate and estimate > COUNT_CAP:
            return f"about {round_to_two_digits(estimate):,} {name}"
        return f"more than {COUNT_CAP:,} {name}"

    def page(self, number: int | str) -> Page[Any]:
        # Only `page()`, which the changelist calls: `get_page()` (the history page's) catches
        # EmptyPage from validate_number() itself and shows the last page.
        try:
            return super().page(number)
        except EmptyPage:
            raise PageOutOfRange(number, self) from None


def planner_estimate(queryset: QuerySet[Any]) -> int | None:
    """PostgreSQL's own estimate of the table's rows (pg_class.reltuples, kept by ANALYZE and
    autovacuum), for an unfiltered list; None elsewhere, or before the table was ever analyzed.
    SQLite keeps no row count, and MariaDB's (information_schema) can be off by half."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql" or queryset.query.where:
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples FROM pg_class WHERE oid = %s::regclass",
            [queryset.model._meta.db_table],
        )
        (estimate,) = cursor.fetchone()
    return int(estimate) if estimate > 0 else None


def round_to_two_digits(number: int) -> int:
    """999,873 → 1,000,000; 1,234,567 → 1,200,000: an estimate should not look exact."""
    return round(number, 2 - len(str(number)))


class AutocompleteSelectOfValidIds(AutocompleteSelect):
    """Django's search-box widget for a foreign key, minus a 500. To show the chosen user it
    looks up the form's value, which comes straight from the request (`?author=:` prefills the
    add form, and a refused POST shows its values again); a value that is no id at all, or one
    past the column's range (2**63), made that lookup raise. Such a value now shows as nothing
    chosen, and the form says why."""

    def optgroups(
        self, name: str, value: Sequence[str], attr: dict[str, Any] | None = None
    ) -> list[tuple[str | None, list[dict[str, Any]], int | None]]:
        return super().optgroups(name, [v for v in value if self.holds(v)], attr)

    def holds(self, value: str) -> bool:
        id_field = self.field.target_field
        try:
            # The validators hold the database's integer range for the id column.
            id_field.run_validators(id_field.to_python(value))
        except ValidationError:
            return False
        return True


class PostForm(forms.ModelForm):
    # A new key in every add form, saved with the post it makes (SentPostForm): the same form
    # sent again finds that post. Not required: a form from before this field still posts.
    form_key = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4, required=False)

    class Meta:
        model = Post
        fields = ["body", "timestamp", "author"]


@admin.register(Post)
class PostAdmin(SpreadsheetAdminMixin, admin.ModelAdmin):
    form = PostForm
    list_display = ("body", "author_name", "timestamp")
    # The body only, on a word index on every backend that has one (blog/search.py). Authors are
    # found by `@name`, not by a substring of every username: an OR across two tables can use
    # no index.
    search_fields = ["body"]
    search_help_text = (
        "Finds posts containing every word, in any letter case. "
        "Add @username for that user's posts only (e.g. @mary coffee)."
    )
    # A from/to date range, plus quick links (today, this month, …). Both become
    # `timestamp >= from AND timestamp <= to`, an index range at any depth; `date_hierarchy`
    # would run SELECT DISTINCT over every post's date on each view.
    list_filter = [("timestamp", DateRangeQuickSelectListFilterBuilder(title="date"))]
    # A search box instead of a <select> holding every user.
    autocomplete_fields = ["author"]
    paginator = CappedCountPaginator
    # Otherwise the changelist runs a second, unfiltered COUNT(*) for "(1,000,000 total)".
    show_full_result_count = False
    # "Show counts" would count the matching posts once per filter link, each over the table.
    show_facets = admin.ShowFacets.NEVER

    sheet_kind = "posts"

    def formfield_for_foreignkey(
        self, db_field: ForeignKey, request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField | None:
        if db_field.name in self.autocomplete_fields:
            db = kwargs.get("using")
            kwargs["widget"] = AutocompleteSelectOfValidIds(db_field, self.admin_site, using=db)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_queryset(self, request: HttpRequest) -> PostQuerySet:
        # The author's name in the same query as the posts (see Post.objects.with_author_username).
        posts = super().get_queryset(request)
        assert isinstance(posts, PostQuerySet)  # Post.objects makes them; django-stubs cannot tell
        return posts.with_author_username()

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Post], search_term: str
    ) -> tuple[QuerySet[Post], bool]:
        words = list(smart_split(search_term))
        for word in words:
            if word.startswith("@") and len(word) > 1:
                queryset = search.by_username(queryset, word[1:])
        body_words = [word for word in words if not word.startswith("@")]
        queryset = search.narrowed_by_index(queryset, [unquoted(w) for w in body_words])
        return super().get_search_results(request, queryset, " ".join(body_words))

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        try:
            return super().changelist_view(request, extra_context)
        except PageOutOfRange as past:
            return self.redirect_to_first_page(request, past)

    def redirect_to_first_page(
        self, request: HttpRequest, past: PageOutOfRange
    ) -> HttpResponseRedirect:
        if past.paginator.count_is_capped:
            message = (
                f"Page {past.number} is past the first {COUNT_CAP:,} posts, which is as far as "
                "this list counts. To reach older posts, choose a date range (on the right) or "
                "search; then page through what they find."
            )
        else:
            message = (
                f"There is no page {past.number}: this list has {past.paginator.num_pages}. "
                "Here is the first."
            )
        messages.warning(request, message)
        query = request.GET.copy()
        query.pop(PAGE_VAR, None)
        return HttpResponseRedirect(f"{request.path}?{query.urlencode()}")

    def get_fields(self, request: HttpRequest, obj: Post | None = None) -> list[Any]:
        fields = list(super().get_fields(request, obj))
        # The key belongs to the add form only: saving a change twice changes nothing more.
        return fields if obj is None else [field for field in fields if field != "form_key"]

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """An add form sent again (its first answer lost to a 503 or a timeout, or a double
        click) answers as the first sending did, and adds nothing."""
        if request.method == "POST" and self.has_add_permission(request):
            sent = self.sent_before(request)
            if sent is not None:
                return self.answer_again(request, sent)
            try:
                return super().add_view(request, form_url, extra_context)
            except IntegrityError:
                # Sent twice at once: the other sending saved its key (and post) first, and
                # this one's transaction was rolled back.
                sent = self.sent_before(request)
                if sent is None:
                    raise
                return self.answer_again(request, sent)
        return super().add_view(request, form_url, extra_context)

    def save_model(
        self, request: HttpRequest, obj: Post, form: forms.ModelForm, change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        key = form.cleaned_data.get("form_key")
        if not change and key is not None:
            # In the add view's transaction: the key is saved with its post, or neither is.
            SentPostForm.objects.create(key=key, post=obj)

    def sent_before(self, request: HttpRequest) -> SentPostForm | None:
        try:
            key = uuid.UUID(request.POST.get("form_key", ""))
        except ValueError:  # none, or not a key: the form says so if it is not empty
            return None
        # Locked, in a transaction of its own: on PostgreSQL a row lock makes the commit wait,
        # as a write's does, for the synchronous standby. A key found only on the primary (kept
        # there when a commit's wait for the standby was cancelled, replicas/deadline.py) is
        # thus answered only once the standby has it too, and a failover cannot lose its post.
        with transaction.atomic():
            return SentPostForm.objects.select_for_update().filter(key=key).first()

    def answer_again(self, request: HttpRequest, sent: SentPostForm) -> HttpResponse:
        post = Post.objects.filter(pk=sent.post_id).first()
        if post is None:
            messages.warning(request, "This form was sent before; its post has since been deleted.")
            return HttpResponseRedirect(reverse("admin:blog_post_changelist"))
        messages.info(request, "This form was sent before: its post was added then, not again now.")
        return self.response_add(request, post)

    # Not sortable: ordering a million posts by a looked-up name would sort the whole table.
    @admin.display(description="author")
    def author_name(self, post: "WithAnnotations[Post, AuthorUsername]") -> str:
        return post.author_username


class NewestPostsFormSet(BaseInlineFormSet):
    def get_queryset(self) -> QuerySet[Post]:
        # Newest first (the default ordering), read from the (author, -timestamp, -id) index.
        # Kept, like Django's own, so the formset's len() and [i] reuse one query's rows.
        if not hasattr(self, "_newest_posts"):
            self._newest_posts = super().get_queryset()[:INLINE_POSTS]
        return self._newest_posts


class PostInline(admin.TabularInline):
    model = Post
    formset = NewestPostsFormSet
    fields = ["body", "timestamp"]
    extra = 0
    show_change_link = True
    verbose_name_plural = f"newest {INLINE_POSTS} posts"


@dataclass(frozen=True)
class PostsOf:
    """All of a user's posts, as one line of a delete page."""

    author: Any
    count: int


class PostsCounted(NestedObjects):
    """Gathers what deleting users takes with them as Django's delete page does, but leaves their
    posts in the database: a "fast delete" stays a query, never loaded. Posts have no relation of
    their own to follow (SentPostForm's points at them without cascading)."""

    # django-stubs type NestedObjects as never fast-deleting: that is what this subclass changes.
    def can_fast_delete(self, objs: Any, *args: Any, **kwargs: Any) -> bool:  # type: ignore[override]
        # Asked of a related model, and of a query of rows.
        return objs is Post or getattr(objs, "model", None) is Post


# accounts knows nothing of blog, so blog adds the inline to the user admin from accounts.
admin.site.unregister(get_user_model())


@admin.register(get_user_model())
class UserWithPostsAdmin(SpreadsheetAdminMixin, UserAdmin):
    inlines = [PostInline]
    sheet_kind = "users"
    readonly_fields = ["all_posts"]
    # django-stubs types UserAdmin.fieldsets as exactly Django's own three sections.
    fieldsets = (*UserAdmin.fieldsets, ("Posts", {"fields": ["all_posts"]}))  # type: ignore[assignment]

    def get_inlines(self, request: HttpRequest, obj: Any) -> list[type[InlineModelAdmin]]:
        # The add page is Django's short "username and password" form; posts come after.
        return self.inlines if obj else []

    def get_deleted_objects(
        self, objs: Sequence[Any] | QuerySet[Any], request: HttpRequest
    ) -> tuple[list[Any], dict[str, int], set[str], list[Any]]:
        """Django's delete page lists everything a delete takes with it, a link each: a user's
        posts too, every one loaded (133,798 at a million posts made a 17 MB page that took 12 s,
        docs/admin-contrast.md). Here each user's posts are one line, counted, with a link to
        them in the post list; the rest is listed as Django lists it."""
        users = list(objs)
        collector = PostsCounted(using=router.db_for_write(self.model))
        collector.collect(users)
        posts_by_author = dict(
            Post.objects.filter(author__in=users)
            .order_by()
            .values_list("author")
            .annotate(Count("pk"))
        )
        for user in users:
            if user.pk in posts_by_author:
                collector.add_edge(user, PostsOf(user, posts_by_author[user.pk]))  # type: ignore[arg-type]
        perms_needed: set[Any] = set()  # verbose names, as Django's own page gathers them

        def describe(obj: Any) -> str:
            model = Post if isinstance(obj, PostsOf) else type(obj)
            opts = model._meta
            model_admin = self.admin_site._registry.get(model)
            if model_admin is None:
                return f"{capfirst(opts.verbose_name)}: {obj}"
            if isinstance(obj, PostsOf):
                if not model_admin.has_delete_permission(request):
                    perms_needed.add(opts.verbose_name)
                url = reverse("admin:blog_post_changelist") + f"?author__id__exact={obj.author.pk}"
                return format_html(
                    'Posts: <a href="{}">all {} by {}</a>', url, obj.count, obj.author
                )
            if not model_admin.has_delete_permission(request, obj):
                perms_needed.add(opts.verbose_name)
            url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[quote(obj.pk)])
            return format_html('{}: <a href="{}">{}</a>', capfirst(opts.verbose_name), url, obj)

        # Keyed by model (django-stubs say by name).
        model_count = {
            model._meta.verbose_name_plural: len(found)  # type: ignore[attr-defined]
            for model, found in collector.model_objs.items()
        }
        if posts_by_author:
            model_count[Post._meta.verbose_name_plural] = sum(posts_by_author.values())
        protected = [describe(obj) for obj in collector.protected]
        return collector.nested(describe), model_count, perms_needed, protected

    @admin.display(description="all posts")
    def all_posts(self, user: Any) -> SafeString:
        url = reverse("admin:blog_post_changelist") + f"?author__id__exact={user.pk}"
        return format_html('<a href="{}">All posts by {} in the post list</a>', url, user)
