"""Posts in the admin, and the one place where blog and accounts meet: a user's posts inline.

Both pages cost the same at a million posts as at a thousand: no COUNT(*) over the whole posts
table, no per-row queries, and never more than a page of posts rendered.
"""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import format_html

from accounts.admin import UserAdmin
from blog.models import Post

# The changelist counts at most this many posts; past it, search or filter to narrow down.
COUNT_CAP = 10_000
# A user's change page shows this many of their newest posts; the rest are in the changelist.
INLINE_POSTS = 20


class CappedCountPaginator(Paginator):
    """Counts up to COUNT_CAP + 1 rows (`SELECT COUNT(*) FROM (... LIMIT 10001)`), so the cost
    of a page does not grow with the table; the page links stop at the cap."""

    @cached_property
    def count(self):
        return self.object_list[: COUNT_CAP + 1].count()

    @property
    def count_is_capped(self):
        return self.count > COUNT_CAP


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ("body", "author_name", "timestamp")
    search_fields = ["body", "author__username"]
    # The "Any date / Today / Past 7 days" links cost no query; `date_hierarchy` would run
    # SELECT DISTINCT over every post's date on each view.
    list_filter = ["timestamp"]
    # A search box instead of a <select> holding every user.
    autocomplete_fields = ["author"]
    paginator = CappedCountPaginator
    # Otherwise the changelist runs a second, unfiltered COUNT(*) for "(1,000,000 total)".
    show_full_result_count = False

    def get_queryset(self, request):
        # The author's name in the same query as the posts (see Post.objects.with_author_username).
        return super().get_queryset(request).with_author_username()

    # Not sortable: ordering a million posts by a looked-up name would sort the whole table.
    @admin.display(description="author")
    def author_name(self, post):
        return post.author_username


class NewestPostsFormSet(BaseInlineFormSet):
    def get_queryset(self):
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


# accounts knows nothing of blog, so blog adds the inline to the user admin from accounts.
admin.site.unregister(get_user_model())


@admin.register(get_user_model())
class UserWithPostsAdmin(UserAdmin):
    inlines = [PostInline]
    readonly_fields = ["all_posts"]
    fieldsets = (*UserAdmin.fieldsets, ("Posts", {"fields": ["all_posts"]}))

    def get_inlines(self, request, obj):
        # The add page is Django's short "username and password" form; posts come after.
        return self.inlines if obj else []

    @admin.display(description="all posts")
    def all_posts(self, user):
        url = reverse("admin:blog_post_changelist") + f"?author__id__exact={user.pk}"
        return format_html('<a href="{}">All posts by {} in the post list</a>', url, user)
