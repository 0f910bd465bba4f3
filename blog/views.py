"""The public page: newest posts first, with their authors."""

from django.views.generic import ListView

from blog.models import Post


class PostListView(ListView):
    # select_related JOINs the author into the same query: no extra query per post.
    queryset = Post.objects.select_related("author")
    paginate_by = 20
    template_name = "blog/index.html"
    context_object_name = "posts"
